using Rollout.Kernels;
using Rollout.Kernels.Svd;

namespace Rollout.Engine.Generation;

/// <summary>Turns on L2T scoring for a generation: step features, answer probes, rewards and advantages.</summary>
public sealed record L2TGeneration
{
    public L2TOptions Options { get; init; } = new();
    /// <summary>Text that closes the reasoning and opens the answer; the probes teacher-force the answer after it (spec §3).</summary>
    public string AnswerCue { get; init; } = "</think>\n#### ";
    /// <summary>The head core M of the policy being sampled; null for the base model (M = 0).</summary>
    public HeadCore? Core { get; init; }
    /// <summary>ONNX Runtime writes decode steps' logits and hidden states into the kernels' buffers (no copy); false copies them (the fallback).</summary>
    public bool ZeroCopy { get; init; } = true;
}
