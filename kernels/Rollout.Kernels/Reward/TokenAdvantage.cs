using System.Numerics.Tensors;
using ILGPU;
using ILGPU.Runtime;
using Rollout.Kernels.Runtime;

namespace Rollout.Kernels.Reward;

/// <summary>
/// Token advantages (spec §5): A_t = Â_i r_t / r̃_i for L2T (A_t = Â_i where |r̃_i| &lt; 1e-8), A_t = Â_i for the
/// grpo and length baselines. One group per rollout.
/// </summary>
public static class TokenAdvantage
{
    public const double SmallMean = 1e-8;

    /// <summary>Float64 reference: A_t for every token.</summary>
    public static double[] Reference(float[] tokenRewards, double[] advantages, double[] truncatedMeans,
        IndexRange[] rollouts, bool scaleByTokenReward)
    {
        var result = new double[tokenRewards.Length];
        for (int i = 0; i < rollouts.Length; i++)
            for (int t = rollouts[i].Start; t < rollouts[i].End; t++)
                result[t] = scaleByTokenReward && Math.Abs(truncatedMeans[i]) >= SmallMean
                    ? advantages[i] * tokenRewards[t] / truncatedMeans[i]
                    : advantages[i];
        return result;
    }

    /// <summary>
    /// Writes A_t (N) from r_t (N), Â_i and r̃_i per rollout; the rollouts must tile the N tokens.
    /// <paramref name="scaleByTokenReward"/>: true for L2T, false for the baselines that give every token Â_i.
    /// </summary>
    public static void Run(AcceleratorHost host, ArrayView<float> tokenRewards, ArrayView<float> advantages,
        ArrayView<float> truncatedMeans, ReadOnlySpan<IndexRange> rollouts, ArrayView<float> tokenAdvantages, bool scaleByTokenReward)
    {
        IndexRange.ValidateTiling(rollouts, (int)tokenRewards.Length, "rollouts");
        Require.Length(advantages, rollouts.Length, nameof(advantages));
        Require.Length(truncatedMeans, rollouts.Length, nameof(truncatedMeans));
        Require.Length(tokenAdvantages, tokenRewards.Length, nameof(tokenAdvantages));
        var rolloutArray = rollouts.ToArray();
        host.Dispatch(
            () => Managed(tokenRewards, advantages, truncatedMeans, rolloutArray, tokenAdvantages, scaleByTokenReward),
            () =>
            {
                using var rolloutBuffer = host.Accelerator.Allocate1D(rolloutArray);
                var kernel = host.Kernel(static a => a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>,
                    ArrayView<IndexRange>, ArrayView<float>, int>(Kernel));
                kernel(host.GroupLaunch(rolloutArray.Length), tokenRewards, advantages, truncatedMeans, rolloutBuffer.View,
                    tokenAdvantages, scaleByTokenReward ? 1 : 0);
                host.Accelerator.Synchronize();
            });
    }

    /// <summary>The host form of <see cref="Kernel"/>: rollout after rollout, Â_i r_t / r̃_i or Â_i in float32.</summary>
    private static void Managed(ArrayView<float> tokenRewards, ArrayView<float> advantages, ArrayView<float> truncatedMeans,
        IndexRange[] rollouts, ArrayView<float> tokenAdvantages, bool scaleByTokenReward)
    {
        Span<float> rewards = tokenRewards.OnHost().Span, result = tokenAdvantages.OnHost().Span;
        Span<float> advantage = advantages.OnHost().Span, mean = truncatedMeans.OnHost().Span;
        for (int i = 0; i < rollouts.Length; i++)
        {
            var target = result.Slice(rollouts[i].Start, rollouts[i].Length);
            if (scaleByTokenReward && MathF.Abs(mean[i]) >= (float)SmallMean)
            {
                TensorPrimitives.Multiply(rewards.Slice(rollouts[i].Start, rollouts[i].Length), advantage[i], target);
                TensorPrimitives.Divide(target, mean[i], target);
            }
            else
                target.Fill(advantage[i]);
        }
    }

    private static void Kernel(ArrayView<float> tokenRewards, ArrayView<float> advantages, ArrayView<float> truncatedMeans,
        ArrayView<IndexRange> rollouts, ArrayView<float> tokenAdvantages, int scale)
    {
        var rollout = rollouts[Grid.IdxX];
        float advantage = advantages[Grid.IdxX], mean = truncatedMeans[Grid.IdxX];
        bool scaled = scale != 0 && MathF.Abs(mean) >= (float)SmallMean;
        for (int t = rollout.Start + Group.IdxX; t < rollout.End; t += Group.DimX)
            tokenAdvantages[t] = scaled ? advantage * tokenRewards[t] / mean : advantage;
    }
}
