using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rollout.Models.Tasks.Evaluation;

/// <summary>
/// Overall metrics with a breakdown by difficulty; serialises to
/// <c>{"accuracy", "mean_tokens", "mean_episodes", "redundant_share", …, "by_difficulty": {"2": {…}, …}}</c>.
/// </summary>
public sealed record EvaluationReport : EvaluationSummary
{
    [JsonPropertyName("by_difficulty")] public required IReadOnlyDictionary<int, EvaluationSummary> ByDifficulty { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true });
}
