using Rollout.Engine.Model;
using Rollout.Interop.Buffers;
using Rollout.Interop.Tests.Support;
using Rollout.Kernels.Runtime;
using Rollout.Kernels.Step;

namespace Rollout.Interop.Tests.Cuda;

/// <summary>
/// The CUDA provider writing into ILGPU's CUDA buffers on ILGPU's context and stream. Runs only where both a
/// CUDA device and ONNX Runtime's CUDA provider are present (interop/device/run-interop-check.sh with the
/// provider's libraries); the reference is the CPU session's output.
/// </summary>
[Collection(TinyModelCollection.Name)]
public sealed class SharedCudaSessionTests(TinyModel model, Hosts hosts)
{
    [Fact]
    public void The_cuda_provider_writes_into_ilgpu_buffers_that_a_kernel_then_reads_in_order()
    {
        CudaStep.SkipUnlessPresent();
        var host = hosts.Get(AcceleratorKind.Cuda);
        var shared = hosts.SharedCuda;
        using var session = DecoderSession.Load(model.Folder.OnnxPath, model.Folder.Config, ExecutionDevice.Cuda, shared);
        using var buffers = new StepOutputBuffers(host, CudaStep.Rows, CudaStep.Tokens, session.VocabSize, session.Config.Hidden, shared.MemoryInfo);
        using var empty = KvCache.Empty(session.Signature, CudaStep.Rows);
        using var reference = CudaStep.Run(model.Session, empty);
        using var referencePresent = reference.Present;
        using var bound = CudaStep.Run(session, empty, buffers.Targets(CudaStep.Rows, CudaStep.Tokens));
        using var boundPresent = bound.Present;

        // No host sync: the kernel runs on ILGPU's default stream, ordered after the provider's blocking stream.
        int[] tokens = Enumerable.Range(0, 10).Select(i => i * 31 % session.VocabSize).ToArray();
        using var tokenBuffer = host.Accelerator.Allocate1D(tokens);
        using var statistics = host.Accelerator.Allocate1D<StepStatistics>(tokens.Length);
        SoftmaxStatistics.Run(host, buffers.Logits(2, 5), tokenBuffer.View, statistics.View, session.VocabSize, temperature: 1f);
        var actual = statistics.GetAsArray1D();
        var expected = SoftmaxStatistics.Reference(reference.AllLogits.ToArray(), tokens, session.VocabSize, 1f);
        for (int i = 0; i < tokens.Length; i++) Assert.Equal(expected[i].LogProb, actual[i].LogProb, 1e-3);

        var logits = buffers.Logits(2, 5).Read();
        var hidden = buffers.HiddenStates(2, 5).Read();
        var referenceLogits = reference.AllLogits.ToArray();
        var referenceHidden = reference.AllHiddenStates.ToArray();
        for (int i = 0; i < logits.Length; i++) Assert.Equal(referenceLogits[i], logits[i], 1e-3);
        for (int i = 0; i < hidden.Length; i++) Assert.Equal(referenceHidden[i], hidden[i], 1e-3);
        Assert.Throws<InvalidOperationException>(() => bound.AllLogits.Length);
    }
}
