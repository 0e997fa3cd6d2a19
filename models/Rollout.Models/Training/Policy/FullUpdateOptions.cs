namespace Rollout.Models.Training.Policy;

/// <summary>The optimizer of a <see cref="FullUpdate"/>: AdamW's constants and the global gradient-norm clip.</summary>
public sealed record FullUpdateOptions
{
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.999;
    public double Epsilon { get; init; } = 1e-8;
    /// <summary>Decoupled weight decay of the matrices (verl's actor default).</summary>
    public double WeightDecay { get; init; } = 0.01;
    /// <summary>Gradients are scaled down to this global L2 norm when larger; null leaves them as they are.</summary>
    public double? ClipNorm { get; init; } = 1.0;
}
