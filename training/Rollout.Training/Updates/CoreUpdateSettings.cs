using Rollout.Kernels.Update;

namespace Rollout.Training.Updates;

/// <summary>The lightweight step's settings (spec §6): AdamW on M and the weight of the second-order KL to the base policy.</summary>
public sealed record CoreUpdateSettings
{
    public AdamWSettings AdamW { get; init; } = new();

    /// <summary>β_KL: weight of ½ vec(M)ᵀ diag(F) vec(M) in the loss.</summary>
    public double KlWeight { get; init; } = 0.001;

    /// <summary>λ of the diagonal Fisher F in the KL term (spec §4).</summary>
    public double FisherDamping { get; init; } = 1e-5;
}
