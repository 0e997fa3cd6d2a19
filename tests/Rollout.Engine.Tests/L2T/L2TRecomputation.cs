using Rollout.Kernels;

namespace Rollout.Engine.Tests.L2T;

/// <summary>
/// Spec §3–§5 recomputed in plain float64 from plain arrays, written from L2T-SPEC.md alone (it calls neither the
/// kernels, their references, nor the engine), so scorer output can be checked against it — also from a JSONL file
/// and a feature dump. It follows the scorer's documented choices: G_k and C_k over credit spans, and a rollout with
/// no tokens gets no token terms, Â = 0 and stays out of its group's mean and std.
/// </summary>
public static class L2TRecomputation
{
    /// <summary>
    /// One rollout: step features u, v (T × rank, row-major), log π_old per token, credit spans (end exclusive,
    /// tiling [0, T)), answer probes J_0..J_K (null: ΔI = 0) and r_out (format penalty included).
    /// </summary>
    public sealed record Rollout(float[] U, float[] V, float[] OldLogprobs, (int Start, int End)[] CreditSpans, double[]? Probes, double Outcome)
    {
        public int Tokens => OldLogprobs.Length;
    }

    public sealed record Episode(double FitGain, double Penalty, double PenaltyNormalized, double ProcessReward, double Reward);

    /// <summary>A rollout's terms: its episodes, r_t, r̃ (NaN with no tokens), Â and A_t.</summary>
    public sealed record Result(Episode[] Episodes, double[] TokenRewards, double TruncatedMean, double Advantage, double[] TokenAdvantages);

    /// <summary>Spec §2's credit cut from the episodes' token spans: span k runs from episode k's start (0 for the first) to episode k+1's start (T for the last).</summary>
    public static (int Start, int End)[] CreditSpans(IReadOnlyList<(int Start, int End)> episodes, int tokens) =>
        [.. episodes.Select((e, k) => (k == 0 ? 0 : e.Start, k == episodes.Count - 1 ? tokens : episodes[k + 1].Start))];

    /// <param name="groups">The batch: the rollouts of each prompt.</param>
    /// <param name="tokenBudget">Max new tokens, the budget of the length baseline.</param>
    public static Result[][] Score(IReadOnlyList<IReadOnlyList<Rollout>> groups, int rank, L2TOptions options, int tokenBudget)
    {
        var scopes = options.Scope == FisherScope.Batch
            ? [groups.SelectMany(g => g).ToArray()]
            : groups.Select(g => g.ToArray()).ToArray();
        var penalties = new Dictionary<Rollout, (double Raw, double Normalized)[]>(ReferenceEqualityComparer.Instance);
        foreach (var scope in scopes)
        {
            var fisher = Fisher(scope, rank, options.FisherDamping);
            var raw = scope.Select(r => r.CreditSpans.Select(s => Penalty(r, s, fisher, rank, options)).ToArray()).ToArray();
            var all = raw.SelectMany(c => c).ToArray();
            var mean = all.Average();
            for (int i = 0; i < scope.Length; i++)
                penalties[scope[i]] = [.. raw[i].Select(c => (c, options.Normalization == PenaltyNormalization.Raw ? c : mean == 0 ? 0 : c / mean))];
        }
        return [.. groups.Select(g => ScoreGroup(g, penalties, options, tokenBudget))];
    }

    /// <summary>Sorts, drops floor((1 − keep)/2 · n) values at each end, averages the rest.</summary>
    public static double TruncatedMean(IEnumerable<double> values, double keep)
    {
        var sorted = values.Order().ToArray();
        // decimal: (1 − 0.95)/2 · 40 must floor to exactly 1, which binary doubles do not promise.
        var drop = (int)Math.Floor(sorted.Length * (1 - (decimal)keep) / 2);
        return sorted[drop..^drop].Average();
    }

    private static Result[] ScoreGroup(IReadOnlyList<Rollout> group, Dictionary<Rollout, (double Raw, double Normalized)[]> penalties,
        L2TOptions options, int tokenBudget)
    {
        var episodes = group.Select(r => Episodes(r, penalties[r], options)).ToArray();
        var tokenRewards = group.Select((r, i) => TokenRewards(r, episodes[i])).ToArray();
        var means = group.Select((r, i) => r.Tokens == 0 ? double.NaN : TruncatedMean(tokenRewards[i], options.TruncatedMeanKeep)).ToArray();
        var scalars = group.Select((r, i) => options.Baseline switch
        {
            AdvantageBaseline.L2T => means[i],
            AdvantageBaseline.Grpo or AdvantageBaseline.L2TRewardToGo => r.Outcome,
            _ => r.Outcome - options.LengthPenalty * r.Tokens / tokenBudget,
        }).ToArray();
        var ranked = Enumerable.Range(0, group.Count).Where(i => group[i].Tokens > 0).ToArray();
        var advantages = new double[group.Count];
        var normalized = Normalize([.. ranked.Select(i => scalars[i])]);
        for (int m = 0; m < ranked.Length; m++) advantages[ranked[m]] = normalized[m];

        // l2t-rtg: G_(i,k) = Σ_(j≥k) α r^prg_(i,j), normalised over the episodes of the ranked rollouts.
        var toGo = group.Select((r, i) => episodes[i].Select((_, k) => episodes[i].Skip(k).Sum(e => options.Alpha * e.ProcessReward)).ToArray()).ToArray();
        var toGoNormalized = Normalize([.. ranked.SelectMany(i => toGo[i])]);
        var episodeAdvantage = new double[group.Count][];
        int next = 0;
        foreach (var i in ranked) episodeAdvantage[i] = [.. toGo[i].Select(_ => advantages[i] + toGoNormalized[next++])];

        return [.. group.Select((r, i) =>
        {
            var scale = r.Tokens == 0 ? double.NaN : TruncatedMean(tokenRewards[i].Select(Math.Abs), options.TruncatedMeanKeep);
            var tokenAdvantages = options.Baseline switch
            {
                AdvantageBaseline.L2T => tokenRewards[i].Select(rt => scale >= 1e-8
                    ? Math.Clamp(advantages[i] * rt / scale, -options.AdvantageClip, options.AdvantageClip)
                    : advantages[i]).ToArray(),
                AdvantageBaseline.L2TRewardToGo => Enumerable.Range(0, r.Tokens)
                    .Select(t => episodeAdvantage[i][Array.FindIndex(r.CreditSpans, s => s.Start <= t && t < s.End)]).ToArray(),
                _ => Enumerable.Repeat(advantages[i], r.Tokens).ToArray(),
            };
            return new Result(episodes[i], tokenRewards[i], means[i], advantages[i], tokenAdvantages);
        })];
    }

    /// <summary>(x − mean) / (population std + 1e-4).</summary>
    private static double[] Normalize(double[] values)
    {
        if (values.Length == 0) return [];
        var mean = values.Average();
        var std = Math.Sqrt(values.Average(x => (x - mean) * (x - mean)));
        return [.. values.Select(x => (x - mean) / (std + 1e-4))];
    }

    /// <summary>F_ab = λ + (1/N) Σ_t u_ta² v_tb² over the scope's tokens (λ alone when it has none).</summary>
    private static double[,] Fisher(Rollout[] scope, int rank, double damping)
    {
        var sums = new double[rank, rank];
        int tokens = 0;
        foreach (var r in scope)
            for (int t = 0; t < r.Tokens; t++, tokens++)
                for (int a = 0; a < rank; a++)
                    for (int b = 0; b < rank; b++)
                        sums[a, b] += Math.Pow(r.U[t * rank + a], 2) * Math.Pow(r.V[t * rank + b], 2);
        var fisher = new double[rank, rank];
        for (int a = 0; a < rank; a++)
            for (int b = 0; b < rank; b++)
                fisher[a, b] = damping + (tokens == 0 ? 0 : sums[a, b] / tokens);
        return fisher;
    }

    /// <summary>C_k from G_k = Σ_{t∈span} u_t v_tᵀ: Σ F (ηG)² (diag) or η² ‖G‖_F⁴ (rank1).</summary>
    private static double Penalty(Rollout r, (int Start, int End) span, double[,] fisher, int rank, L2TOptions options)
    {
        var g = new double[rank, rank];
        for (int t = span.Start; t < span.End; t++)
            for (int a = 0; a < rank; a++)
                for (int b = 0; b < rank; b++)
                    g[a, b] += (double)r.U[t * rank + a] * r.V[t * rank + b];
        double weighted = 0, frobenius = 0;
        for (int a = 0; a < rank; a++)
            for (int b = 0; b < rank; b++)
            {
                weighted += fisher[a, b] * Math.Pow(options.EpisodeStep * g[a, b], 2);
                frobenius += g[a, b] * g[a, b];
            }
        return options.Estimator == PenaltyEstimator.Diag ? weighted : Math.Pow(options.EpisodeStep, 2) * frobenius * frobenius;
    }

    /// <summary>ΔI_k = J_k − J_{k−1}, r^prg_k = ΔI_k − β C̃_k, R_k = r_out / K + α r^prg_k.</summary>
    private static Episode[] Episodes(Rollout r, (double Raw, double Normalized)[] penalties, L2TOptions options)
    {
        int count = r.CreditSpans.Length;
        return [.. Enumerable.Range(0, count).Select(k =>
        {
            var gain = r.Probes is null ? 0 : r.Probes[k + 1] - r.Probes[k];
            var progress = gain - options.Beta * penalties[k].Normalized;
            return new Episode(gain, penalties[k].Raw, penalties[k].Normalized, progress, r.Outcome / count + options.Alpha * progress);
        })];
    }

    /// <summary>r_t = w_t R_k, w_t ∝ −log π_old(z_t) within the span (uniform when all are 0).</summary>
    private static double[] TokenRewards(Rollout r, Episode[] episodes)
    {
        var rewards = new double[r.Tokens];
        for (int k = 0; k < episodes.Length; k++)
        {
            var (start, end) = r.CreditSpans[k];
            // A log-probability rounded above 0 stands for probability 1: no surprise, not negative surprise.
            var surprise = r.OldLogprobs[start..end].Select(lp => Math.Max(0, -(double)lp)).ToArray();
            var total = surprise.Sum();
            for (int t = start; t < end; t++)
                rewards[t] = episodes[k].Reward * (total > 0 ? surprise[t - start] / total : 1.0 / (end - start));
        }
        return rewards;
    }
}
