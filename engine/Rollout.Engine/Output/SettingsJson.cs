using System.Text.Json;
using Rollout.Engine.Episodes;
using Rollout.Engine.Generation;
using Rollout.Engine.L2T;
using Rollout.Engine.Sampling;
using Rollout.Kernels;

namespace Rollout.Engine.Output;

/// <summary>
/// The settings a rollout was generated or scored with, as the <c>settings</c> object of its output line, so a file
/// describes itself: <c>score</c> reads them back and reproduces the log-probabilities, rewards and advantages.
/// </summary>
public static class SettingsJson
{
    private static void WriteValue(Utf8JsonWriter json, GenerationOptions options)
    {
        var s = options.Sampling;
        json.WriteStartObject();
        json.WriteBoolean("greedy", s.Greedy);
        json.WriteNumber("temperature", s.Temperature);
        json.WriteNumber("top_k", s.TopK);
        json.WriteNumber("top_p", s.TopP);
        json.WriteNumber("min_p", s.MinP);
        json.WriteNumber("seed", options.Seed);
        json.WriteNumber("max_new_tokens", options.MaxNewTokens);
        // Written only when on, so lines of runs without them keep their bytes.
        if (s.RepetitionPenalty != 1) json.WriteNumber("repetition_penalty", s.RepetitionPenalty);
        if (s.PresencePenalty != 0) json.WriteNumber("presence_penalty", s.PresencePenalty);
        if (s.FrequencyPenalty != 0) json.WriteNumber("frequency_penalty", s.FrequencyPenalty);
        if (options.MinNewTokens != 0) json.WriteNumber("min_new_tokens", options.MinNewTokens);
        if (options.TopLogprobs != 0) json.WriteNumber("top_logprobs", options.TopLogprobs);
        json.WriteString("episodes", options.Episodes.ToString());
        if (options.L2T is { } l2t)
        {
            var o = l2t.Options;
            json.WriteStartObject("l2t");
            json.WriteString("answer_cue", l2t.AnswerCue);
            json.WriteNumber("alpha", o.Alpha);
            json.WriteNumber("beta", o.Beta);
            json.WriteNumber("rank", o.Rank);
            json.WriteString("estimator", o.Estimator.ToString().ToLowerInvariant());
            json.WriteString("scope", o.Scope.ToString().ToLowerInvariant());
            json.WriteString("advantage", AdvantageNames.Of(o.Baseline));
            json.WriteEndObject();
        }
        else json.WriteNull("l2t");
        json.WriteEndObject();
    }

    /// <summary>The <c>settings</c> object, as every output line carries it (JSON text).</summary>
    public static string ToJson(GenerationOptions options)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            WriteValue(json, options);
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>The settings of a line's <c>settings</c> object; <paramref name="where"/> (file:line) names it in errors.</summary>
    public static GenerationOptions Read(JsonElement settings, string where)
    {
        try
        {
            var options = new GenerationOptions
            {
                Sampling = new SamplingParams
                {
                    Greedy = settings.GetProperty("greedy").GetBoolean(),
                    Temperature = settings.GetProperty("temperature").GetDouble(),
                    TopK = settings.GetProperty("top_k").GetInt32(),
                    TopP = settings.GetProperty("top_p").GetDouble(),
                    MinP = settings.GetProperty("min_p").GetDouble(),
                    RepetitionPenalty = settings.TryGetProperty("repetition_penalty", out var repetition) ? repetition.GetDouble() : 1,
                    PresencePenalty = settings.TryGetProperty("presence_penalty", out var presence) ? presence.GetDouble() : 0,
                    FrequencyPenalty = settings.TryGetProperty("frequency_penalty", out var frequency) ? frequency.GetDouble() : 0,
                },
                MinNewTokens = settings.TryGetProperty("min_new_tokens", out var minimum) ? minimum.GetInt32() : 0,
                TopLogprobs = settings.TryGetProperty("top_logprobs", out var top) ? top.GetInt32() : 0,
                Seed = settings.GetProperty("seed").GetUInt64(),
                MaxNewTokens = settings.GetProperty("max_new_tokens").GetInt32(),
                Episodes = EpisodeSpec.Parse(settings.GetProperty("episodes").GetString()!),
                L2T = settings.GetProperty("l2t") is { ValueKind: JsonValueKind.Object } l2t ? ReadL2T(l2t, where) : null,
            };
            options.Validate();
            return options;
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException or InputException)
        {
            throw new InputException($"{where}: settings: {e.Message}");
        }
    }

    private static L2TGeneration ReadL2T(JsonElement l2t, string where) => new()
    {
        AnswerCue = l2t.GetProperty("answer_cue").GetString()!,
        Options = new L2TOptions
        {
            Alpha = l2t.GetProperty("alpha").GetDouble(),
            Beta = l2t.GetProperty("beta").GetDouble(),
            Rank = l2t.GetProperty("rank").GetInt32(),
            Estimator = Enum.Parse<PenaltyEstimator>(l2t.GetProperty("estimator").GetString()!, ignoreCase: true),
            Scope = Enum.Parse<FisherScope>(l2t.GetProperty("scope").GetString()!, ignoreCase: true),
            Baseline = AdvantageNames.Parse($"{where}: settings.l2t.advantage", l2t.GetProperty("advantage").GetString()!),
        },
    };
}
