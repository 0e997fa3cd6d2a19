using System.Numerics;

namespace Rollout.Models.Training.Decoder;

/// <summary>What one layer's forward keeps for its backward; all [rows, width] row-major.</summary>
internal sealed class LayerActivations<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The residual stream entering the layer.</summary>
    public required T[] Input { get; init; }
    public required T[] InputInvRms { get; init; }
    public required T[] Normed { get; init; }
    /// <summary>Queries and keys after the rotary embedding.</summary>
    public required T[] Q { get; init; }
    public required T[] K { get; init; }
    public required T[] V { get; init; }
    public required T[] Probs { get; init; }
    public required T[] AttentionOut { get; init; }
    /// <summary>The residual stream after attention.</summary>
    public required T[] Mid { get; init; }
    public required T[] MidInvRms { get; init; }
    public required T[] MidNormed { get; init; }
    public required T[] Gate { get; init; }
    public required T[] Up { get; init; }
    public required T[] Act { get; init; }
}
