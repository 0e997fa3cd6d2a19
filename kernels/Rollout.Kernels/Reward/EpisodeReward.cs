namespace Rollout.Kernels.Reward;

/// <summary>The per-episode rewards of one rollout (spec §5): r^prg_k = ΔI_k − β C̃_k and R_k = r_out / K + α r^prg_k.</summary>
public static class EpisodeReward
{
    /// <summary>r_out: the answer's score, plus the format penalty when the completion had no parsable episode (spec §2).</summary>
    public static double Outcome(double answerScore, bool formatOk, L2TOptions options) =>
        formatOk ? answerScore : answerScore + options.FormatPenalty;

    /// <summary>R_k for each of the rollout's K episodes, from its outcome reward, ΔI_k and C̃_k.</summary>
    public static double[] Compute(double outcome, ReadOnlySpan<double> informationGain, ReadOnlySpan<double> penalty, L2TOptions options)
    {
        if (informationGain.IsEmpty) throw new ArgumentException("A rollout has at least one episode.", nameof(informationGain));
        if (penalty.Length != informationGain.Length)
            throw new ArgumentException($"{penalty.Length} penalties for {informationGain.Length} episodes.", nameof(penalty));
        var rewards = new double[informationGain.Length];
        for (int k = 0; k < rewards.Length; k++)
        {
            var progress = informationGain[k] - options.Beta * penalty[k];
            rewards[k] = outcome / rewards.Length + options.Alpha * progress;
        }
        return rewards;
    }
}
