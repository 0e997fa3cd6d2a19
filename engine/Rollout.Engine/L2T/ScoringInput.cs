using Rollout.Engine.Generation;

namespace Rollout.Engine.L2T;

/// <summary>
/// One rollout as <see cref="RolloutScorer"/> takes it: the completion with its step features (one row per completion
/// token), its answer probes J_0..J_K (spec §3; null when there is no reference answer, then ΔI_k = 0) and the
/// prompt's reference answer (null when there is none, then the answer scores 0).
/// </summary>
internal sealed record ScoringInput(RolloutResult Rollout, double[]? AnswerProbes, string? Answer)
{
    public StepFeatures Features => Rollout.Features
        ?? throw new ArgumentException($"rollout {Rollout.Sample} of prompt '{Rollout.PromptId}' has no step features to score");
}
