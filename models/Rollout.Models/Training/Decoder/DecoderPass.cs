using System.Numerics;

namespace Rollout.Models.Training.Decoder;

/// <summary>One forward pass over a batch: its loss, its logits [rows, vocab] and the activations the backward needs.</summary>
public sealed class DecoderPass<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public required TokenBatch Batch { get; init; }
    /// <summary>Cross-entropy over the completion tokens, weighted by <see cref="TokenBatch.Weights"/>, divided by their count (0 when the batch has none).</summary>
    public required double Loss { get; init; }
    public required T[] Logits { get; init; }
    internal LayerActivations<T>[] Layers { get; init; } = null!;
    internal long[] ProbOffsets { get; init; } = null!;
    internal T[] FinalInput { get; init; } = null!;
    internal T[] FinalInvRms { get; init; } = null!;
    internal T[] FinalNormed { get; init; } = null!;
    internal T[] DLogits { get; init; } = null!;
}
