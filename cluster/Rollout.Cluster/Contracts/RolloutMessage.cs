using Rollout.Engine.Episodes;
using Rollout.Engine.Generation;
using Rollout.Engine.L2T;
using Rollout.Engine.Sampling;

namespace Rollout.Cluster.Contracts;

/// <summary>
/// A <see cref="RolloutResult"/> on the wire, without what the client already has (prompt id and tokens, answer, sample
/// index: the position in its group). Episodes travel as (index, start, end) triples, episode scores as five numbers each.
/// </summary>
[GenerateSerializer, Immutable]
public sealed class RolloutMessage
{
    [Id(0)] public int[] TokenIds { get; init; } = [];
    [Id(1)] public string Text { get; init; } = "";
    [Id(2)] public int FinishReason { get; init; }
    [Id(3)] public float[] Logprobs { get; init; } = [];
    [Id(4)] public float[] RawLogprobs { get; init; } = [];
    [Id(5)] public float[] Entropies { get; init; } = [];
    [Id(6)] public int[] Episodes { get; init; } = [];
    [Id(7)] public bool FormatOk { get; init; }
    [Id(8)] public int FeatureRank { get; init; }
    [Id(9)] public float[]? U { get; init; }
    [Id(10)] public float[]? V { get; init; }
    [Id(11)] public ScoreMessage? Score { get; init; }
    /// <summary>Each token's alternatives as K (id, logprob) pairs: ids and values flattened, K per token.</summary>
    [Id(12)] public int[]? TopIds { get; init; }
    [Id(13)] public float[]? TopValues { get; init; }
    [Id(14)] public int[]? TopCounts { get; init; }

    public static RolloutMessage From(RolloutResult r) => new()
    {
        TokenIds = r.TokenIds, Text = r.Text, FinishReason = (int)r.FinishReason,
        Logprobs = r.Logprobs, RawLogprobs = r.RawLogprobs, Entropies = r.Entropies,
        Episodes = [.. r.Episodes.SelectMany(e => new[] { e.Index, e.Start, e.End })], FormatOk = r.FormatOk,
        FeatureRank = r.Features?.Rank ?? 0, U = r.Features?.U, V = r.Features?.V,
        Score = r.Score == null ? null : ScoreMessage.From(r.Score),
        TopIds = r.TopLogprobs?.SelectMany(t => t.Select(a => a.TokenId)).ToArray(),
        TopValues = r.TopLogprobs?.SelectMany(t => t.Select(a => a.Logprob)).ToArray(),
        TopCounts = r.TopLogprobs?.Select(t => t.Length).ToArray(),
    };

    public RolloutResult ToResult(GroupWork group, int sample) => new(
        group.PromptId, sample, group.PromptTokenIds, TokenIds, Text, (FinishReason)FinishReason, Logprobs, RawLogprobs, Entropies,
        [.. Enumerable.Range(0, Episodes.Length / 3).Select(i => new EpisodeSpan(Episodes[3 * i], Episodes[3 * i + 1], Episodes[3 * i + 2]))],
        FormatOk, U == null ? null : new StepFeatures(FeatureRank, U, V!), Score?.ToScore(), group.Answer)
    { TopLogprobs = TopCounts == null ? null : TopAlternatives() };

    private TokenAlternative[][] TopAlternatives()
    {
        var tokens = new TokenAlternative[TopCounts!.Length][];
        for (int t = 0, at = 0; t < tokens.Length; at += TopCounts[t], t++)
            tokens[t] = [.. Enumerable.Range(at, TopCounts[t]).Select(i => new TokenAlternative(TopIds![i], TopValues![i]))];
        return tokens;
    }
}

/// <summary>A <see cref="RolloutScore"/> on the wire; the episodes' five terms each, flattened.</summary>
[GenerateSerializer, Immutable]
public sealed class ScoreMessage
{
    [Id(0)] public double OutcomeReward { get; init; }
    [Id(1)] public double[]? AnswerProbes { get; init; }
    [Id(2)] public double[] Episodes { get; init; } = [];
    [Id(3)] public float[] TokenRewards { get; init; } = [];
    [Id(4)] public float[] Advantages { get; init; } = [];
    [Id(5)] public int ClippedAdvantages { get; init; }

    public static ScoreMessage From(RolloutScore s) => new()
    {
        OutcomeReward = s.OutcomeReward, AnswerProbes = s.AnswerProbes,
        Episodes = [.. s.Episodes.SelectMany(e => new[] { e.FitGain, e.Penalty, e.PenaltyNormalized, e.ProcessReward, e.Reward })],
        TokenRewards = s.TokenRewards, Advantages = s.Advantages, ClippedAdvantages = s.ClippedAdvantages,
    };

    public RolloutScore ToScore() => new(OutcomeReward, AnswerProbes,
        [.. Enumerable.Range(0, Episodes.Length / 5).Select(i => new EpisodeScore(Episodes[5 * i], Episodes[5 * i + 1], Episodes[5 * i + 2], Episodes[5 * i + 3], Episodes[5 * i + 4]))],
        TokenRewards, Advantages, ClippedAdvantages);
}
