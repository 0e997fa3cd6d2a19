using System.Numerics.Tensors;
using ILGPU;
using ILGPU.Runtime;
using Rollout.Kernels.Runtime;

namespace Rollout.Kernels.Reward;

/// <summary>
/// Token advantages (spec §5). Scaled (L2T): A_t = clip(Â_i r_t / s_i, −a_max, a_max), with A_t = Â_i where s_i &lt; 1e-8.
/// Unscaled: every token of a range gets its range's value (Â_i for grpo and length; for l2t-rtg the ranges are
/// credit spans and the value is Â^out_i + Ĝ_(i,k)). One group per range.
/// </summary>
public static class TokenAdvantage
{
    /// <summary>Below this scale a rollout's token rewards are all (nearly) zero: its tokens get Â_i unscaled.</summary>
    public const double SmallScale = 1e-8;

    /// <summary>Float64 reference: A_t for every token. <paramref name="scales"/> is null for the unscaled form.</summary>
    public static double[] Reference(float[] tokenRewards, double[] advantages, double[]? scales, IndexRange[] ranges, double clip)
    {
        var result = new double[tokenRewards.Length];
        for (int i = 0; i < ranges.Length; i++)
            for (int t = ranges[i].Start; t < ranges[i].End; t++)
                result[t] = scales is { } s && s[i] >= SmallScale
                    ? Math.Clamp(advantages[i] * tokenRewards[t] / s[i], -clip, clip)
                    : advantages[i];
        return result;
    }

    /// <summary>Whether the scaled form clips token <paramref name="t"/>'s advantage (float64, for reporting the clip rate).</summary>
    public static bool Clips(double advantage, double tokenReward, double scale, double clip) =>
        scale >= SmallScale && Math.Abs(advantage * tokenReward / scale) > clip;

    /// <summary>
    /// Writes A_t (N) from r_t (N) and one Â and s per range; the ranges must tile the N tokens.
    /// <paramref name="scaled"/>: true for L2T (A_t = clip(Â r_t / s)), false to give every token its range's Â
    /// (then <paramref name="scales"/> and <paramref name="clip"/> are not read).
    /// </summary>
    public static void Run(AcceleratorHost host, ArrayView<float> tokenRewards, ArrayView<float> advantages,
        ArrayView<float> scales, ReadOnlySpan<IndexRange> ranges, ArrayView<float> tokenAdvantages, bool scaled, float clip)
    {
        IndexRange.ValidateTiling(ranges, (int)tokenRewards.Length, "ranges");
        Require.Length(advantages, ranges.Length, nameof(advantages));
        if (scaled) Require.Length(scales, ranges.Length, nameof(scales));
        Require.Length(tokenAdvantages, tokenRewards.Length, nameof(tokenAdvantages));
        if (!(clip > 0)) throw new ArgumentOutOfRangeException(nameof(clip), $"The clip must be positive (got {clip}).");
        var rangeArray = ranges.ToArray();
        host.Dispatch(
            () => Managed(tokenRewards, advantages, scales, rangeArray, tokenAdvantages, scaled, clip),
            () =>
            {
                using var rangeBuffer = host.Accelerator.Allocate1D(rangeArray);
                var kernel = host.Kernel(static a => a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>,
                    ArrayView<IndexRange>, ArrayView<float>, int, float>(Kernel));
                kernel(host.GroupLaunch(rangeArray.Length), tokenRewards, advantages, scales, rangeBuffer.View,
                    tokenAdvantages, scaled ? 1 : 0, clip);
                host.Accelerator.Synchronize();
            });
    }

    /// <summary>The host form of <see cref="Kernel"/>: range after range, clip(Â r_t / s) or Â in float32.</summary>
    private static void Managed(ArrayView<float> tokenRewards, ArrayView<float> advantages, ArrayView<float> scales,
        IndexRange[] ranges, ArrayView<float> tokenAdvantages, bool scaled, float clip)
    {
        Span<float> rewards = tokenRewards.OnHost().Span, result = tokenAdvantages.OnHost().Span, advantage = advantages.OnHost().Span;
        Span<float> scale = scaled ? scales.OnHost().Span : default;
        for (int i = 0; i < ranges.Length; i++)
        {
            var target = result.Slice(ranges[i].Start, ranges[i].Length);
            if (scaled && scale[i] >= (float)SmallScale)
            {
                TensorPrimitives.Multiply(rewards.Slice(ranges[i].Start, ranges[i].Length), advantage[i] / scale[i], target);
                TensorPrimitives.Clamp(target, -clip, clip, target);
            }
            else
                target.Fill(advantage[i]);
        }
    }

    private static void Kernel(ArrayView<float> tokenRewards, ArrayView<float> advantages, ArrayView<float> scales,
        ArrayView<IndexRange> ranges, ArrayView<float> tokenAdvantages, int scaled, float clip)
    {
        var range = ranges[Grid.IdxX];
        float advantage = advantages[Grid.IdxX];
        bool byReward = scaled != 0 && scales[Grid.IdxX] >= (float)SmallScale;
        float factor = byReward ? advantage / scales[Grid.IdxX] : 0;
        for (int t = range.Start + Group.IdxX; t < range.End; t += Group.DimX)
            tokenAdvantages[t] = byReward ? Math.Max(-clip, Math.Min(clip, factor * tokenRewards[t])) : advantage;
    }
}
