using System.Text.Json.Serialization;

namespace Rollout.Models.Tasks.Evaluation;

/// <summary>Metrics over a set of problems, each with one or more completions.</summary>
public record EvaluationSummary
{
    [JsonPropertyName("problems")] public required int Problems { get; init; }
    [JsonPropertyName("completions")] public required int Completions { get; init; }
    /// <summary>Share of all completions whose answer is correct.</summary>
    [JsonPropertyName("accuracy")] public required double Accuracy { get; init; }
    /// <summary>Mean over problems of the share of its completions that are correct.</summary>
    [JsonPropertyName("pass_at_1")] public required double PassAt1 { get; init; }
    /// <summary>Share of problems whose most frequent answer (first to reach the top count on ties) is correct.</summary>
    [JsonPropertyName("maj_at_n")] public required double MajAtN { get; init; }
    [JsonPropertyName("mean_tokens")] public required double MeanTokens { get; init; }
    [JsonPropertyName("mean_episodes")] public required double MeanEpisodes { get; init; }
    /// <summary>Redundant episodes over all episodes.</summary>
    [JsonPropertyName("redundant_share")] public required double RedundantShare { get; init; }
    /// <summary>Share of completions with at least one redundant episode.</summary>
    [JsonPropertyName("with_redundant_share")] public required double WithRedundantShare { get; init; }
    /// <summary>Tokens inside redundant episodes over all completion tokens, pooled over the completions.</summary>
    [JsonPropertyName("redundant_token_share")] public required double RedundantTokenShare { get; init; }
}
