using System.Text.Json;
using Rollout.Engine;
using Rollout.Engine.Generation;
using Rollout.Engine.Sampling;

namespace Rollout.Server.Protocol;

/// <summary>
/// The request fields that become engine settings (OpenAI's, and vLLM's <c>top_k</c>, <c>min_p</c>, <c>repetition_penalty</c>,
/// <c>min_tokens</c>, <c>ignore_eos</c>), shared by both endpoints. The engine checks the values
/// (<see cref="GenerationOptions.Validate"/>); its message names the setting, which <see cref="ErrorOf"/> turns back into the field.
/// </summary>
internal static class GenerationFields
{
    /// <summary>Fields of OpenAI features this server lacks, refused unless they ask for nothing.</summary>
    private static readonly string[] Unsupported = ["tools", "functions", "response_format", "logit_bias", "echo", "best_of", "suffix", "audio"];

    private static readonly Dictionary<string, string> Fields = new Dictionary<string, string>
    {
        [nameof(GenerationOptions.SamplesPerPrompt)] = "n", [nameof(GenerationOptions.MaxNewTokens)] = "max_tokens",
        [nameof(GenerationOptions.StopStrings)] = "stop", [nameof(SamplingParams.Temperature)] = "temperature",
        [nameof(SamplingParams.TopK)] = "top_k", [nameof(SamplingParams.TopP)] = "top_p", [nameof(SamplingParams.MinP)] = "min_p",
        [nameof(SamplingParams.RepetitionPenalty)] = "repetition_penalty", [nameof(SamplingParams.PresencePenalty)] = "presence_penalty",
        [nameof(SamplingParams.FrequencyPenalty)] = "frequency_penalty", [nameof(GenerationOptions.MinNewTokens)] = "min_tokens",
    };

    /// <summary>
    /// The 400 for an engine setting's error, naming the request field that sets it (<see cref="GenerationOptions.TopLogprobs"/>:
    /// <paramref name="topLogprobsField"/>, which differs by endpoint); a plain 400 when the error names no field's setting.
    /// </summary>
    public static ApiError ErrorOf(InputException e, string? topLogprobsField = null)
    {
        string? field = null;
        if (e.Setting is { } s && e.Message.StartsWith(s, StringComparison.Ordinal))
            field = s == nameof(GenerationOptions.TopLogprobs) ? topLogprobsField : Fields.GetValueOrDefault(s);
        return field != null
            ? new ApiError(400, "invalid_request_error", "invalid_value", field + e.Message[e.Setting!.Length..], field)
            : new ApiError(400, "invalid_request_error", "invalid_value", e.Message);
    }

    /// <param name="topLogprobs">Alternatives per token the request asks for, and the field that asks (chat: <c>top_logprobs</c>;
    /// completions: <c>logprobs</c>).</param>
    public static GenerationOptions Read(JsonFields body, ServedModel model, L2TGeneration? l2t, (int Count, string Field) topLogprobs)
    {
        foreach (var field in Unsupported)
            if (body.Get(field) is { } value && !AsksForNothing(value)) throw ApiError.NotSupported(field);
        double temperature = body.Number("temperature") ?? 1.0;
        if (!(temperature >= 0)) throw ApiError.Invalid("temperature", $"must be ≥ 0 (got {temperature})");
        int? topK = body.Integer("top_k");
        var options = new GenerationOptions
        {
            SamplesPerPrompt = body.Integer("n") ?? 1,
            // The OpenAI .NET SDK sends max_completion_tokens; without either, the rollout may fill the context window (vLLM's default).
            MaxNewTokens = body.Integer("max_completion_tokens") ?? body.Integer("max_tokens") ?? model.ContextWindow,
            Sampling = new SamplingParams
            {
                // Temperature 0 is argmax, as in vLLM.
                Greedy = temperature == 0,
                Temperature = temperature == 0 ? 1.0 : temperature,
                TopK = topK == -1 ? 0 : topK ?? 0, // vLLM's "off" is -1
                TopP = body.Number("top_p") ?? 1.0,
                MinP = body.Number("min_p") ?? 0.0,
                // vLLM's definitions, as the engine's: 1 and 0 are off.
                RepetitionPenalty = body.Number("repetition_penalty") ?? 1.0,
                PresencePenalty = body.Number("presence_penalty") ?? 0.0,
                FrequencyPenalty = body.Number("frequency_penalty") ?? 0.0,
            },
            MinNewTokens = body.Integer("min_tokens") ?? 0,
            TopLogprobs = topLogprobs.Count,
            Seed = body.Unsigned("seed") ?? (ulong)Random.Shared.NextInt64(long.MinValue, long.MaxValue),
            StopStrings = body.Strings("stop") ?? [],
            IgnoreEos = body.Bool("ignore_eos") ?? false,
            BatchSize = model.MaxBatch,
            L2T = l2t,
        };
        if (body.Has("max_completion_tokens") && body.Has("max_tokens") && body.Integer("max_completion_tokens") != body.Integer("max_tokens"))
            throw ApiError.Invalid("max_tokens", "and max_completion_tokens disagree; give one");
        try { options.Validate(); }
        catch (InputException e) { throw ErrorOf(e, topLogprobs.Field); }
        return options;
    }

    /// <summary>false, "", [], {}, {"type": "text"}, 1 (best_of) or "none": the field's value that turns its feature off.</summary>
    private static bool AsksForNothing(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.False => true,
        JsonValueKind.String => value.GetString() is "" or "none",
        JsonValueKind.Array => value.GetArrayLength() == 0,
        JsonValueKind.Object => !value.EnumerateObject().Any()
            || value.EnumerateObject().All(p => p.Name == "type" && p.Value.ValueKind == JsonValueKind.String && p.Value.GetString() == "text"),
        JsonValueKind.Number => value.TryGetInt32(out var i) && i == 1,
        _ => false,
    };
}
