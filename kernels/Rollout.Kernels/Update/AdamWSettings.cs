namespace Rollout.Kernels.Update;

/// <summary>AdamW's hyperparameters (decoupled weight decay); the spec leaves them open, so these are the usual defaults.</summary>
public sealed record AdamWSettings
{
    public double LearningRate { get; init; } = 1e-3;
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.999;
    public double Epsilon { get; init; } = 1e-8;
    public double WeightDecay { get; init; } = 0.01;
}
