using ILGPU;
using ILGPU.Runtime;
using Rollout.Kernels.Runtime;

namespace Rollout.Kernels.Reward;

/// <summary>
/// Token rewards r_t = w_t R_k with surprise weights w_t ∝ −log π_old(z_t), normalised to sum 1 inside each episode
/// (uniform when every weight is 0) (spec §5). One group per episode.
/// </summary>
public static class SurpriseCredit
{
    /// <summary>Float64 reference: r_t for every token.</summary>
    public static double[] Reference(float[] oldLogProbs, double[] episodeRewards, IndexRange[] episodes)
    {
        var rewards = new double[oldLogProbs.Length];
        for (int k = 0; k < episodes.Length; k++)
        {
            double total = 0;
            for (int t = episodes[k].Start; t < episodes[k].End; t++) total += Surprise(oldLogProbs[t]);
            for (int t = episodes[k].Start; t < episodes[k].End; t++)
                rewards[t] = episodeRewards[k] * (total > 0 ? Surprise(oldLogProbs[t]) / total : 1.0 / episodes[k].Length);
        }
        return rewards;
    }

    /// <summary>Writes r_t (N) from log π_old(z_t) (N) and R_k per episode; the episodes must tile the N tokens.</summary>
    public static void Run(AcceleratorHost host, ArrayView<float> oldLogProbs, ArrayView<float> episodeRewards,
        ReadOnlySpan<IndexRange> episodes, ArrayView<float> tokenRewards)
    {
        IndexRange.ValidateTiling(episodes, (int)oldLogProbs.Length, "episodes");
        Require.Length(episodeRewards, episodes.Length, nameof(episodeRewards));
        Require.Length(tokenRewards, oldLogProbs.Length, nameof(tokenRewards));
        var episodeArray = episodes.ToArray();
        host.Dispatch(
            () => Managed(oldLogProbs, episodeRewards, episodeArray, tokenRewards),
            () =>
            {
                using var episodeBuffer = host.Accelerator.Allocate1D(episodeArray);
                var kernel = host.Kernel(static a => a.LoadStreamKernel<ArrayView<float>, ArrayView<float>,
                    ArrayView<IndexRange>, ArrayView<float>>(Kernel));
                kernel(host.ReductionLaunch(episodeArray.Length), oldLogProbs, episodeRewards, episodeBuffer.View, tokenRewards);
                host.Accelerator.Synchronize();
            });
    }

    /// <summary>The host form of <see cref="Kernel"/>, in the same float32 sums, episode after episode (a pass over N floats).</summary>
    private static void Managed(ArrayView<float> oldLogProbs, ArrayView<float> episodeRewards, IndexRange[] episodes,
        ArrayView<float> tokenRewards)
    {
        Span<float> logProbs = oldLogProbs.OnHost().Span, rewards = episodeRewards.OnHost().Span, credit = tokenRewards.OnHost().Span;
        for (int k = 0; k < episodes.Length; k++)
        {
            var episode = episodes[k];
            float total = 0;
            for (int t = episode.Start; t < episode.End; t++) total += MathF.Max(0, -logProbs[t]);
            for (int t = episode.Start; t < episode.End; t++)
                credit[t] = total > 0 ? rewards[k] * (MathF.Max(0, -logProbs[t]) / total) : rewards[k] / episode.Length;
        }
    }

    /// <summary>−log π clamped at 0: a log-probability rounded above 0 carries no surprise.</summary>
    private static double Surprise(double logProb) => Math.Max(0, -logProb);

    private static void Kernel(ArrayView<float> oldLogProbs, ArrayView<float> episodeRewards,
        ArrayView<IndexRange> episodes, ArrayView<float> tokenRewards)
    {
        var episode = episodes[Grid.IdxX];
        float partial = 0;
        for (int t = episode.Start + Group.IdxX; t < episode.End; t += Group.DimX)
            partial += MathF.Max(0, -oldLogProbs[t]);
        float total = GroupReduce.Sum(partial);
        float reward = episodeRewards[Grid.IdxX];
        for (int t = episode.Start + Group.IdxX; t < episode.End; t += Group.DimX)
            tokenRewards[t] = total > 0
                ? reward * (MathF.Max(0, -oldLogProbs[t]) / total)
                : reward / episode.Length;
    }
}
