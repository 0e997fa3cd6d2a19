using System.Text.Json.Serialization;

namespace Rollout.Training.Runs;

/// <summary>One line of <c>metrics.jsonl</c>: what one iteration sampled, how it scored, and how far the update moved.</summary>
public sealed record IterationMetrics
{
    [JsonPropertyName("iteration")] public required int Iteration { get; init; }
    /// <summary>Mean over rollouts of the rollout's total L2T reward Σ_k R_k (= r_out + α Σ_k r^prg_k).</summary>
    [JsonPropertyName("reward")] public required double Reward { get; init; }
    [JsonPropertyName("outcome_accuracy")] public required double OutcomeAccuracy { get; init; }
    [JsonPropertyName("mean_tokens")] public required double MeanTokens { get; init; }
    [JsonPropertyName("mean_episodes")] public required double MeanEpisodes { get; init; }
    /// <summary>Completion tokens in redundant episodes over all completion tokens.</summary>
    [JsonPropertyName("redundant_share")] public required double RedundantShare { get; init; }
    /// <summary>Mean ΔI_k over all episodes.</summary>
    [JsonPropertyName("fit_gain")] public required double FitGain { get; init; }
    /// <summary>Mean C_k (raw) over all episodes.</summary>
    [JsonPropertyName("penalty")] public required double Penalty { get; init; }
    [JsonPropertyName("advantage_clip_share")] public required double AdvantageClipShare { get; init; }
    /// <summary>‖Δθ‖₂ of the update (ΔM for the core step).</summary>
    [JsonPropertyName("update_norm")] public required double UpdateNorm { get; init; }
    [JsonPropertyName("seconds")] public required StageSeconds Seconds { get; init; }
}

/// <summary>Wall time of an iteration's stages.</summary>
public sealed record StageSeconds(
    [property: JsonPropertyName("sample")] double Sample,
    [property: JsonPropertyName("probes")] double Probes,
    [property: JsonPropertyName("score")] double Score,
    [property: JsonPropertyName("update")] double Update);
