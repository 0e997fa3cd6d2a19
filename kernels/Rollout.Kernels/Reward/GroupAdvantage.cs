namespace Rollout.Kernels.Reward;

/// <summary>Group-normalised advantages Â_i = (x_i − mean) / (population std + 1e-4) and the rollout scalars of each baseline (spec §5).</summary>
public static class GroupAdvantage
{
    /// <summary>ε: large enough that rounding noise between near-equal rewards (float32 features) is not blown up to ±1.</summary>
    public const double StdEpsilon = 1e-4;

    /// <summary>Â for one group's scalars, in float64: equal scalars get equal Â.</summary>
    public static double[] Normalize(ReadOnlySpan<double> scores)
    {
        if (scores.IsEmpty) throw new ArgumentException("A group needs at least one rollout.", nameof(scores));
        double mean = 0;
        foreach (var s in scores) mean += s / scores.Length;
        double variance = 0;
        foreach (var s in scores) variance += (s - mean) * (s - mean) / scores.Length;
        var std = Math.Sqrt(variance);
        var advantages = new double[scores.Length];
        for (int i = 0; i < advantages.Length; i++) advantages[i] = (scores[i] - mean) / (std + StdEpsilon);
        return advantages;
    }

    /// <summary>
    /// The scalar each rollout of a group is ranked by: r̃_i for <see cref="AdvantageBaseline.L2T"/>, r_out for
    /// <see cref="AdvantageBaseline.Grpo"/> and <see cref="AdvantageBaseline.L2TRewardToGo"/> (its outcome part),
    /// r_out − γ·tokens/budget for <see cref="AdvantageBaseline.Length"/>.
    /// </summary>
    public static double[] Scores(AdvantageBaseline baseline, ReadOnlySpan<double> truncatedMeans, ReadOnlySpan<double> outcomes,
        ReadOnlySpan<int> tokenCounts, int tokenBudget, double lengthPenalty)
    {
        int n = outcomes.Length;
        if (n == 0) throw new ArgumentException("A group needs at least one rollout.", nameof(outcomes));
        if (truncatedMeans.Length != n || tokenCounts.Length != n)
            throw new ArgumentException($"Per-rollout inputs disagree: {truncatedMeans.Length} truncated means, {n} outcomes, {tokenCounts.Length} token counts.");
        if (baseline == AdvantageBaseline.Length && tokenBudget <= 0)
            throw new ArgumentException($"The length baseline needs a positive token budget (got {tokenBudget}).", nameof(tokenBudget));
        var scores = new double[n];
        for (int i = 0; i < n; i++)
            scores[i] = baseline switch
            {
                AdvantageBaseline.L2T => truncatedMeans[i],
                AdvantageBaseline.Grpo or AdvantageBaseline.L2TRewardToGo => outcomes[i],
                _ => outcomes[i] - lengthPenalty * tokenCounts[i] / tokenBudget,
            };
        return scores;
    }
}
