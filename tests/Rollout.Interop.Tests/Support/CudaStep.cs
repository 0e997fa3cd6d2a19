using Microsoft.ML.OnnxRuntime;
using Rollout.Engine.Model;
using Rollout.Interop.Buffers;
using Rollout.Kernels.Runtime;

namespace Rollout.Interop.Tests.Support;

/// <summary>What the CUDA-provider tests share: their skip condition and one step of two rows of five tokens.</summary>
internal static class CudaStep
{
    public const int Rows = 2, Tokens = 5;
    public static readonly long[] Ids = [5, 17, 200, 33, 9, 1, 2, 3, 4, 5];
    public static readonly long[] Mask = Ids.Select(_ => 1L).ToArray();
    public static readonly long[] Positions = [0, 1, 2, 3, 4, 0, 1, 2, 3, 4];

    /// <summary>Skips the test unless a CUDA device and ONNX Runtime's CUDA provider are both present.</summary>
    public static void SkipUnlessPresent()
    {
        Assert.SkipUnless(AcceleratorHost.Available().Contains(AcceleratorKind.Cuda), "no CUDA device");
        Assert.SkipUnless(OrtEnv.Instance().GetAvailableProviders().Contains("CUDAExecutionProvider"), "this ONNX Runtime has no CUDA provider");
    }

    /// <summary>The step on <paramref name="session"/>, with hidden states.</summary>
    public static DecoderStep Run(DecoderSession session, KvCache empty, StepOutputTargets? targets = null, bool logitsOnDevice = false) =>
        session.Run(Ids, Mask, Positions, Tokens, empty, withHiddenStates: true, targets, logitsOnDevice: logitsOnDevice);
}
