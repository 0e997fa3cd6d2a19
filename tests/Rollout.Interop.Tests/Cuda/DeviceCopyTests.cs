using Microsoft.ML.OnnxRuntime;
using Rollout.Engine.Model;
using Rollout.Interop.Tests.Support;
using Rollout.Kernels.Runtime;

namespace Rollout.Interop.Tests.Cuda;

/// <summary>
/// The CUDA provider on its own context leaving a step's logits and hidden states in device memory, copied device to
/// device into ILGPU's buffers (the path the engine takes with --device cuda). Runs only where a CUDA device and ONNX
/// Runtime's CUDA provider are present (interop/device/run-interop-check.sh); the reference is the CPU session's output.
/// </summary>
[Collection(TinyModelCollection.Name)]
public sealed class DeviceCopyTests(TinyModel model, Hosts hosts)
{
    [Fact]
    public void Outputs_left_on_the_device_are_copied_into_ilgpu_buffers_entry_by_entry()
    {
        Assert.SkipUnless(AcceleratorHost.Available().Contains(AcceleratorKind.Cuda), "no CUDA device");
        Assert.SkipUnless(OrtEnv.Instance().GetAvailableProviders().Contains("CUDAExecutionProvider"), "this ONNX Runtime has no CUDA provider");
        using var session = DecoderSession.Load(model.Folder.OnnxPath, model.Folder.Config, ExecutionDevice.Cuda);
        int vocab = session.VocabSize, width = session.Config.Hidden;
        using var buffers = hosts.Buffers(AcceleratorKind.Cuda, 3, 1, vocab, width);

        long[] ids = [5, 17, 200, 33, 9, 1, 2, 3, 4, 5];
        var mask = ids.Select(_ => 1L).ToArray();
        long[] positions = [0, 1, 2, 3, 4, 0, 1, 2, 3, 4];
        using var empty = KvCache.Empty(session.Signature, 2);
        using var reference = model.Session.Run(ids, mask, positions, 5, empty, withHiddenStates: true);
        using var referencePresent = reference.Present;
        using var step = session.Run(ids, mask, positions, 5, empty, withHiddenStates: true, logitsOnDevice: true);
        using var present = step.Present;
        Assert.True(step.OnDevice);

        // Out of order, with one consecutive pair (copied in one piece).
        int[] entries = [9, 4, 5];
        buffers.CopyFromDevice(step.LogitsValue, step.HiddenStatesValue, entries);
        var logits = buffers.Logits(3, 1).Read();
        var hidden = buffers.HiddenStates(3, 1).Read();
        var referenceLogits = reference.AllLogits.ToArray();
        var referenceHidden = reference.AllHiddenStates.ToArray();
        for (int i = 0; i < entries.Length; i++)
        {
            for (int v = 0; v < vocab; v++) Assert.Equal(referenceLogits[entries[i] * vocab + v], logits[i * vocab + v], 1e-3);
            for (int h = 0; h < width; h++) Assert.Equal(referenceHidden[entries[i] * width + h], hidden[i * width + h], 1e-3);
        }
    }
}
