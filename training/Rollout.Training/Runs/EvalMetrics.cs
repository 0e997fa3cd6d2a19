using System.Text.Json.Serialization;
using Rollout.Models.Tasks.Evaluation;

namespace Rollout.Training.Runs;

/// <summary>One line of <c>eval.jsonl</c>: greedy decoding of the held-out problems with the policy after <see cref="Iteration"/> iterations.</summary>
public sealed record EvalMetrics
{
    [JsonPropertyName("iteration")] public required int Iteration { get; init; }
    [JsonPropertyName("accuracy")] public required double Accuracy { get; init; }
    [JsonPropertyName("mean_tokens")] public required double MeanTokens { get; init; }
    [JsonPropertyName("redundant_share")] public required double RedundantShare { get; init; }
    /// <summary>By number of operations: accuracy and mean tokens.</summary>
    [JsonPropertyName("by_difficulty")] public required IReadOnlyDictionary<int, DifficultyMetrics> ByDifficulty { get; init; }
}

public sealed record DifficultyMetrics(
    [property: JsonPropertyName("accuracy")] double Accuracy,
    [property: JsonPropertyName("mean_tokens")] double MeanTokens)
{
    /// <summary>A task report's per-difficulty accuracy and length.</summary>
    public static IReadOnlyDictionary<int, DifficultyMetrics> Of(EvaluationReport report) =>
        report.ByDifficulty.ToDictionary(d => d.Key, d => new DifficultyMetrics(d.Value.Accuracy, d.Value.MeanTokens));
}
