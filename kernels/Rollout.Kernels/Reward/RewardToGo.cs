namespace Rollout.Kernels.Reward;

/// <summary>
/// The process part of the <see cref="AdvantageBaseline.L2TRewardToGo"/> advantage (spec §5): episode k's reward-to-go
/// G_(i,k) = Σ_(j≥k) α r^prg_(i,j), normalised over all episodes of the group.
/// </summary>
public static class RewardToGo
{
    /// <summary>G_(i,k) for one rollout's episodes, from their process rewards r^prg.</summary>
    public static double[] Compute(ReadOnlySpan<double> processRewards, double alpha)
    {
        var toGo = new double[processRewards.Length];
        double sum = 0;
        for (int k = processRewards.Length - 1; k >= 0; k--) toGo[k] = sum += alpha * processRewards[k];
        return toGo;
    }
}
