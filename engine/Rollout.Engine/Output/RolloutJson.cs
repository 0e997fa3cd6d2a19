using System.Text.Json;
using Rollout.Engine.Generation;

namespace Rollout.Engine.Output;

/// <summary>
/// The JSON names of a rollout's episodes and L2T scores (README, output schema), in one place for every writer of
/// them: the JSONL output and the server's <c>l2t</c> object.
/// </summary>
public static class RolloutJson
{
    /// <summary><c>"episodes": [{index, start, end}]</c>, each with its rewards when the rollout is scored.</summary>
    public static void WriteEpisodes(Utf8JsonWriter json, RolloutResult r)
    {
        json.WriteStartArray("episodes");
        for (int k = 0; k < r.Episodes.Count; k++)
        {
            var e = r.Episodes[k];
            json.WriteStartObject();
            json.WriteNumber("index", e.Index);
            json.WriteNumber("start", e.Start);
            json.WriteNumber("end", e.End);
            if (r.Score?.Episodes[k] is { } score)
            {
                json.WriteNumber("fit_gain", score.FitGain);
                json.WriteNumber("penalty", score.Penalty);
                json.WriteNumber("penalty_normalized", score.PenaltyNormalized);
                json.WriteNumber("process_reward", score.ProcessReward);
                json.WriteNumber("reward", score.Reward);
            }
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }

    /// <summary>The rollout-level L2T fields (outcome reward, probes, token rewards, advantages); nothing when unscored.</summary>
    public static void WriteScore(Utf8JsonWriter json, RolloutResult r)
    {
        if (r.Score is not { } l2t) return;
        json.WriteNumber("outcome_reward", l2t.OutcomeReward);
        if (l2t.AnswerProbes is { } probes)
        {
            json.WriteStartArray("answer_probes");
            foreach (var j in probes) json.WriteNumberValue(j);
            json.WriteEndArray();
        }
        else json.WriteNull("answer_probes");
        WriteArray(json, "token_rewards", l2t.TokenRewards);
        WriteArray(json, "advantages", l2t.Advantages);
        json.WriteNumber("advantages_clipped", l2t.ClippedAdvantages);
    }

    internal static void WriteArray(Utf8JsonWriter json, string name, float[] values)
    {
        json.WriteStartArray(name);
        foreach (var v in values) json.WriteNumberValue(v);
        json.WriteEndArray();
    }
}
