namespace Rollout.Models.Training.Policy;

/// <summary>What one <see cref="FullUpdate.Step"/> did.</summary>
/// <param name="Loss">The surrogate loss −(1/N) Σ_t A_t log π(z_t) before the update.</param>
/// <param name="GradientNorm">The global L2 norm of its gradient, before clipping.</param>
/// <param name="UpdateNorm">‖Δθ‖₂ of the step over every parameter.</param>
/// <param name="Tokens">N, the completion tokens of the batch.</param>
public sealed record FullUpdateStep(double Loss, double GradientNorm, double UpdateNorm, int Tokens);
