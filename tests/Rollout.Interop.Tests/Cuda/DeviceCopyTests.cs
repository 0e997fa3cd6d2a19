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
        CudaStep.SkipUnlessPresent();
        using var session = DecoderSession.Load(model.Folder.OnnxPath, model.Folder.Config, ExecutionDevice.Cuda);
        int vocab = session.VocabSize, width = session.Config.Hidden;
        using var buffers = hosts.Buffers(AcceleratorKind.Cuda, 3, 1, vocab, width);
        using var empty = KvCache.Empty(session.Signature, CudaStep.Rows);
        using var reference = CudaStep.Run(model.Session, empty);
        using var referencePresent = reference.Present;
        using var step = CudaStep.Run(session, empty, logitsOnDevice: true);
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
