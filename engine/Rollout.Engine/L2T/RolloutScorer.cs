using System.Numerics.Tensors;
using ILGPU;
using ILGPU.Runtime;
using Rollout.Kernels;
using Rollout.Kernels.Episode;
using Rollout.Kernels.Reward;
using Rollout.Kernels.Runtime;

namespace Rollout.Engine.L2T;

/// <summary>
/// Scores one generation batch for L2T (spec §3–§5): r_out, ΔI_k, the diagonal Fisher of each scope, C_k and C̃_k,
/// r^prg_k and R_k, token rewards r_t, r̃_i, Â_i and token advantages A_t (or those of the configured baseline).
/// Token-level work and reductions run as kernels on the host's accelerator; the per-episode and per-rollout
/// scalars in between are float64 on the CPU.
/// </summary>
/// <remarks>
/// Episodes are taken as their credit spans (spec §2) everywhere, for G_k and C_k as well as r_t, so every token
/// belongs to exactly one episode's update and the tokens between tagged episodes (and the answer) are not dropped
/// from the penalty.
/// A rollout with no tokens keeps its one, empty episode: G_k = 0 so C_k = 0, and it still counts as one of its
/// scope's episodes when C̃ is normalised. Its R_k has no token to go to: it gets empty r_t and A_t and Â_i = 0, and
/// it is left out of its group's mean and std, since it has nothing to train and its r̃_i, a mean over no tokens, is
/// undefined.
/// </remarks>
internal sealed class RolloutScorer
{
    private readonly AcceleratorHost host;
    private readonly L2TOptions options;
    private readonly AnswerExtractor answers;
    private readonly int tokenBudget;

    /// <param name="tokenBudget">The generation's max new tokens: the budget of the <see cref="AdvantageBaseline.Length"/> baseline.</param>
    public RolloutScorer(AcceleratorHost host, L2TOptions options, AnswerExtractor answers, int tokenBudget)
    {
        if (tokenBudget <= 0) throw new ArgumentException($"The token budget must be positive (got {tokenBudget}).", nameof(tokenBudget));
        if (options.Rank <= 0) throw new ArgumentException($"The rank must be positive (got {options.Rank}).", nameof(options));
        this.host = host;
        this.options = options;
        this.answers = answers;
        this.tokenBudget = tokenBudget;
    }

    /// <summary>Scores a batch; <paramref name="groups"/> holds the rollouts of each prompt, the result has the same shape.</summary>
    /// <exception cref="ArgumentException">An empty batch or group, or a rollout whose features, log-probabilities, episodes or probes disagree with its tokens.</exception>
    public IReadOnlyList<IReadOnlyList<RolloutScore>> Score(IReadOnlyList<IReadOnlyList<ScoringInput>> groups)
    {
        var batch = ScoringBatch.Build(groups, options.Rank);
        var (penalty, normalized) = Penalties(batch);

        var outcomes = new double[batch.Inputs.Length];
        var episodes = new EpisodeScore[batch.Credit.Length];
        for (int i = 0; i < batch.Inputs.Length; i++)
        {
            var input = batch.Inputs[i];
            var answerScore = input.Answer is null ? 0 : answers.Score(input.Rollout.Text, input.Answer);
            outcomes[i] = EpisodeReward.Outcome(answerScore, input.Rollout.FormatOk, options);
            var range = batch.RolloutEpisodes[i];
            var gain = new double[range.Length];
            var normalizedPenalty = new double[range.Length];
            for (int k = 0; k < range.Length; k++)
            {
                gain[k] = input.AnswerProbes is { } j ? j[k + 1] - j[k] : 0;
                normalizedPenalty[k] = normalized[range.Start + k];
            }
            var rewards = EpisodeReward.Compute(outcomes[i], gain, normalizedPenalty, options);
            for (int k = 0; k < range.Length; k++)
                episodes[range.Start + k] = new EpisodeScore(gain[k], penalty[range.Start + k], normalizedPenalty[k],
                    gain[k] - options.Beta * normalizedPenalty[k], rewards[k]);
        }

        var tokenRewards = TokenRewards(batch, episodes);
        var truncatedMeans = new double[batch.Inputs.Length];
        var scales = new double[batch.Inputs.Length];
        for (int i = 0; i < batch.Inputs.Length; i++)
        {
            if (batch.Rollouts[i].Length == 0) continue;
            var rewards = tokenRewards.AsSpan(batch.Rollouts[i].Start, batch.Rollouts[i].Length);
            truncatedMeans[i] = TruncatedMean.Compute(rewards, options.TruncatedMeanKeep);
            var magnitudes = new float[rewards.Length];
            TensorPrimitives.Abs(rewards, magnitudes);
            scales[i] = TruncatedMean.Compute(magnitudes, options.TruncatedMeanKeep);
        }
        var advantages = GroupAdvantages(batch, truncatedMeans, outcomes);
        var tokenAdvantages = options.Baseline == AdvantageBaseline.L2TRewardToGo
            ? RewardToGoAdvantages(batch, tokenRewards, advantages, episodes)
            : TokenAdvantages(batch, tokenRewards, advantages, scales);

        var scores = new List<IReadOnlyList<RolloutScore>>(batch.GroupRollouts.Length);
        foreach (var group in batch.GroupRollouts)
        {
            var groupScores = new RolloutScore[group.Length];
            for (int i = group.Start; i < group.End; i++)
            {
                var tokens = batch.Rollouts[i];
                var range = batch.RolloutEpisodes[i];
                groupScores[i - group.Start] = new RolloutScore(outcomes[i], batch.Inputs[i].AnswerProbes,
                    episodes[range.Start..range.End], tokenRewards[tokens.Start..tokens.End], tokenAdvantages[tokens.Start..tokens.End],
                    ClippedTokens(tokenRewards.AsSpan(tokens.Start, tokens.Length), advantages[i], scales[i]));
            }
            scores.Add(groupScores);
        }
        return scores;
    }

    /// <summary>C_k and C̃_k of every episode: Fisher per scope, G_k per credit span, then the penalty kernel.</summary>
    private (float[] Raw, float[] Normalized) Penalties(ScoringBatch batch)
    {
        var accelerator = host.Accelerator;
        int rank = batch.Rank, entries = rank * rank;
        var tokenScopes = batch.TokenScopes(options.Scope);
        // A scope or episode with no tokens is skipped by the kernels: its Fisher stays λ and its G_k stays 0.
        using var fisher = accelerator.Allocate1D(Enumerable.Repeat((float)options.FisherDamping, tokenScopes.Length * entries).ToArray());
        using var gradient = accelerator.Allocate1D<float>(batch.Credit.Length * entries);
        gradient.MemSetToZero();
        if (batch.TokenCount > 0)
        {
            using var u = accelerator.Allocate1D(batch.U);
            using var v = accelerator.Allocate1D(batch.V);
            foreach (var (first, count) in NonEmptyRuns(tokenScopes))
                DiagonalFisher.Run(host, u.View, v.View, tokenScopes.AsSpan(first, count),
                    fisher.View.SubView(first * entries, count * entries), rank, (float)options.FisherDamping);
            foreach (var (first, count) in NonEmptyRuns(batch.Credit))
                EpisodeGradient.Run(host, u.View, v.View, batch.Credit.AsSpan(first, count),
                    gradient.View.SubView(first * entries, count * entries), rank);
        }
        using var raw = accelerator.Allocate1D<float>(batch.Credit.Length);
        using var normalized = accelerator.Allocate1D<float>(batch.Credit.Length);
        CompressionPenalty.Run(host, gradient.View, fisher.View, batch.EpisodeScopes(options.Scope), raw.View, normalized.View,
            rank, (float)options.EpisodeStep, options.Estimator, options.Normalization);
        return (raw.GetAsArray1D(), normalized.GetAsArray1D());
    }

    /// <summary>r_t = w_t R_k over every non-empty credit span (they tile the batch's tokens).</summary>
    private float[] TokenRewards(ScoringBatch batch, EpisodeScore[] episodes)
    {
        if (batch.TokenCount == 0) return [];
        var spans = new List<IndexRange>(batch.Credit.Length);
        var rewards = new List<float>(batch.Credit.Length);
        for (int k = 0; k < batch.Credit.Length; k++)
        {
            if (batch.Credit[k].Length == 0) continue;
            spans.Add(batch.Credit[k]);
            rewards.Add((float)episodes[k].Reward);
        }
        var accelerator = host.Accelerator;
        using var oldLogprobs = accelerator.Allocate1D(batch.OldLogprobs);
        using var episodeRewards = accelerator.Allocate1D(rewards.ToArray());
        using var tokenRewards = accelerator.Allocate1D<float>(batch.TokenCount);
        SurpriseCredit.Run(host, oldLogprobs.View, episodeRewards.View, spans.ToArray(), tokenRewards.View);
        return tokenRewards.GetAsArray1D();
    }

    /// <summary>Â_i of every rollout: the baseline's scalar normalised over the group's rollouts that have tokens.</summary>
    private double[] GroupAdvantages(ScoringBatch batch, double[] truncatedMeans, double[] outcomes)
    {
        var advantages = new double[batch.Inputs.Length];
        foreach (var group in batch.GroupRollouts)
        {
            var members = Enumerable.Range(group.Start, group.Length).Where(i => batch.Rollouts[i].Length > 0).ToArray();
            if (members.Length == 0) continue;
            var scores = GroupAdvantage.Scores(options.Baseline, members.Select(i => truncatedMeans[i]).ToArray(),
                members.Select(i => outcomes[i]).ToArray(), members.Select(i => batch.Rollouts[i].Length).ToArray(),
                tokenBudget, options.LengthPenalty);
            var normalized = GroupAdvantage.Normalize(scores);
            for (int m = 0; m < members.Length; m++) advantages[members[m]] = normalized[m];
        }
        return advantages;
    }

    /// <summary>A_t over every rollout that has tokens (they tile the batch's tokens): scaled and clipped for L2T, Â_i for the outcome baselines.</summary>
    private float[] TokenAdvantages(ScoringBatch batch, float[] tokenRewards, double[] advantages, double[] scales)
    {
        var members = Enumerable.Range(0, batch.Inputs.Length).Where(i => batch.Rollouts[i].Length > 0).ToArray();
        return FillTokens(batch, tokenRewards, [.. members.Select(i => batch.Rollouts[i])], [.. members.Select(i => advantages[i])],
            options.Baseline == AdvantageBaseline.L2T ? [.. members.Select(i => scales[i])] : null);
    }

    /// <summary>
    /// l2t-rtg (spec §5): A_t = Â^out_i + Ĝ_(i,k(t)), one value per credit span; G is normalised over the episodes of the
    /// group's rollouts that have tokens (the same members as Â).
    /// </summary>
    private float[] RewardToGoAdvantages(ScoringBatch batch, float[] tokenRewards, double[] outcomeAdvantages, EpisodeScore[] episodes)
    {
        var spans = new List<IndexRange>();
        var values = new List<double>();
        foreach (var group in batch.GroupRollouts)
        {
            var members = Enumerable.Range(group.Start, group.Length).Where(i => batch.Rollouts[i].Length > 0).ToArray();
            var toGo = members.Select(i =>
            {
                var range = batch.RolloutEpisodes[i];
                return RewardToGo.Compute([.. episodes[range.Start..range.End].Select(e => e.ProcessReward)], options.Alpha);
            }).ToArray();
            var normalized = members.Length == 0 ? [] : GroupAdvantage.Normalize([.. toGo.SelectMany(g => g)]);
            int next = 0;
            for (int m = 0; m < members.Length; m++)
            {
                var range = batch.RolloutEpisodes[members[m]];
                for (int k = 0; k < range.Length; k++, next++)
                {
                    if (batch.Credit[range.Start + k].Length == 0) continue;
                    spans.Add(batch.Credit[range.Start + k]);
                    values.Add(outcomeAdvantages[members[m]] + normalized[next]);
                }
            }
        }
        return FillTokens(batch, tokenRewards, [.. spans], [.. values], scales: null);
    }

    /// <summary>Runs the token-advantage kernel over ranges that tile the batch's tokens.</summary>
    /// <param name="scales">s_i per range for the scaled, clipped form; null gives every token its range's value.</param>
    private float[] FillTokens(ScoringBatch batch, float[] tokenRewards, IndexRange[] ranges, double[] values, double[]? scales)
    {
        if (batch.TokenCount == 0) return [];
        var accelerator = host.Accelerator;
        using var rewards = accelerator.Allocate1D(tokenRewards);
        using var rangeValues = accelerator.Allocate1D(values.Select(v => (float)v).ToArray());
        using var rangeScales = scales == null ? null : accelerator.Allocate1D(scales.Select(v => (float)v).ToArray());
        using var tokenAdvantages = accelerator.Allocate1D<float>(batch.TokenCount);
        TokenAdvantage.Run(host, rewards.View, rangeValues.View, rangeScales?.View ?? default, ranges, tokenAdvantages.View,
            scaled: scales != null, (float)options.AdvantageClip);
        return tokenAdvantages.GetAsArray1D();
    }

    /// <summary>How many of a rollout's token advantages the L2T clip bounds.</summary>
    private int ClippedTokens(ReadOnlySpan<float> tokenRewards, double advantage, double scale)
    {
        if (options.Baseline != AdvantageBaseline.L2T) return 0;
        int clipped = 0;
        foreach (var r in tokenRewards) if (TokenAdvantage.Clips(advantage, r, scale, options.AdvantageClip)) clipped++;
        return clipped;
    }

    /// <summary>The maximal runs of consecutive non-empty ranges, as (first index, count).</summary>
    private static IEnumerable<(int First, int Count)> NonEmptyRuns(IndexRange[] ranges)
    {
        for (int i = 0; i < ranges.Length;)
        {
            if (ranges[i].Length == 0) { i++; continue; }
            int first = i;
            while (i < ranges.Length && ranges[i].Length > 0) i++;
            yield return (first, i - first);
        }
    }
}
