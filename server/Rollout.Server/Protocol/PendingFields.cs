using Rollout.Engine.Generation;

namespace Rollout.Server.Protocol;

/// <summary>
/// The request fields of engine settings that are on their way (branch <c>sampling</c>: SamplingParams.RepetitionPenalty,
/// PresencePenalty, FrequencyPenalty; GenerationOptions.MinNewTokens and TopLogprobs), mapped here and nowhere else.
/// Until they land, a request that sets one to anything but its neutral value is refused.
/// </summary>
internal static class PendingFields
{
    private static readonly (string Field, double Neutral)[] Numbers =
        [("repetition_penalty", 1), ("presence_penalty", 0), ("frequency_penalty", 0), ("min_tokens", 0)];

    /// <param name="topLogprobs">Alternatives asked for per token, from <paramref name="topLogprobsField"/>
    /// (chat: <c>top_logprobs</c>; completions: <c>logprobs</c>).</param>
    public static GenerationOptions Apply(JsonFields body, GenerationOptions options, int topLogprobs, string topLogprobsField)
    {
        foreach (var (field, neutral) in Numbers)
            if (body.Number(field) is { } value && value != neutral) throw ApiError.NotSupportedYet(field);
        if (topLogprobs > 0) throw ApiError.NotSupportedYet(topLogprobsField);
        return options;
    }

    /// <summary>The request field of each engine setting of these (for <see cref="GenerationFields.FieldOf"/>).</summary>
    public static readonly Dictionary<string, string> Settings = [];
}
