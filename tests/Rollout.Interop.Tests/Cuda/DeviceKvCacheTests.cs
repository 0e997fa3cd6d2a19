using Rollout.Engine.Model;
using Rollout.Interop.Memory;
using Rollout.Interop.Tests.Support;

namespace Rollout.Interop.Tests.Cuda;

/// <summary>
/// A CUDA session's KV cache stays on the device: rows selected and gathered there (as the engine does when rows
/// finish and when answer probes start) feed the next step exactly as host caches feed the CPU session. Runs only
/// with a CUDA device and ONNX Runtime's CUDA provider; the reference is the same steps on the CPU session.
/// </summary>
[Collection(TinyModelCollection.Name)]
public sealed class DeviceKvCacheTests(TinyModel model)
{
    [Fact]
    public void Rows_selected_and_gathered_on_the_device_feed_a_step_as_on_the_host()
    {
        CudaStep.SkipUnlessPresent();
        using var session = DecoderSession.Load(model.Folder.OnnxPath, model.Folder.Config, ExecutionDevice.Cuda);
        var expected = SelectGatherAndStep(model.Session);
        var actual = SelectGatherAndStep(session);
        Assert.IsType<CudaTensorMemory>(session.KvMemory);
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-3);
    }

    /// <summary>Prefill two rows, swap them, gather the first 3 and 5 positions of the swapped rows, and run one token after each.</summary>
    private static float[] SelectGatherAndStep(DecoderSession session)
    {
        using var empty = KvCache.Empty(session.Signature, CudaStep.Rows);
        using var prefill = CudaStep.Run(session, empty);
        using var present = prefill.Present!;
        using var swapped = present.SelectRows([1, 0]);
        using var first = swapped.SelectRows([0]);
        using var second = swapped.SelectRows([1]);
        using var gathered = KvCache.Gather([(first, 0, 3), (second, 0, 5)], 5);
        // Row 0 keeps 3 positions (2 masked after them), row 1 all 5; each then feeds one token at its own position.
        using var step = session.Run([7, 8], [1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1], [3, 5], 1, gathered, withHiddenStates: false);
        using var next = step.Present;
        return step.AllLogits.ToArray();
    }
}
