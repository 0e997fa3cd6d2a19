using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using ILGPU;
using ILGPU.Runtime;
using Rollout.Kernels.Runtime;

namespace Rollout.Kernels.Step;

/// <summary>
/// Softmax statistics of each row of logits (rows × V) under temperature τ and the log-probabilities of the row's
/// sampled token: one group per row, two passes (max, then the three sums) over the vocabulary.
/// </summary>
public static class SoftmaxStatistics
{
    /// <summary>Float64 reference of <see cref="StepStatistics"/>, one per row.</summary>
    public static (double Max, double LogSumExp, double LogProb, double RawLogProb, double Entropy)[] Reference(
        float[] logits, int[] tokens, int vocab, float temperature)
    {
        var rows = tokens.Length;
        var result = new (double, double, double, double, double)[rows];
        for (int row = 0; row < rows; row++)
        {
            var x = new double[vocab];
            for (int i = 0; i < vocab; i++) x[i] = logits[(long)row * vocab + i] / (double)temperature;
            double max = x.Max(), rawMax = max * temperature;
            double sum = 0, rawSum = 0;
            for (int i = 0; i < vocab; i++)
            {
                sum += Math.Exp(x[i] - max);
                rawSum += Math.Exp(logits[(long)row * vocab + i] - rawMax);
            }
            double lse = max + Math.Log(sum), rawLse = rawMax + Math.Log(rawSum);
            double entropy = 0;
            for (int i = 0; i < vocab; i++)
            {
                var logP = x[i] - lse;
                if (logP > double.NegativeInfinity) entropy -= Math.Exp(logP) * logP; // a masked token (−∞) adds 0, not NaN
            }
            var z = tokens[row];
            result[row] = (max, lse, x[z] - lse, logits[(long)row * vocab + z] - rawLse, entropy);
        }
        return result;
    }

    /// <summary>Fills <paramref name="statistics"/> (one per row) from <paramref name="logits"/> (rows × vocab) and the sampled <paramref name="tokens"/>.</summary>
    public static void Run(AcceleratorHost host, ArrayView<float> logits, ArrayView<int> tokens,
        ArrayView<StepStatistics> statistics, int vocab, float temperature)
    {
        Require.Positive(vocab, nameof(vocab));
        Require.Temperature(temperature);
        var rows = tokens.Length;
        Require.Positive(rows, "rows");
        Require.Length(logits, rows * vocab, nameof(logits));
        Require.Length(statistics, rows, nameof(statistics));
        host.Dispatch(
            () => Managed(logits, tokens, statistics, vocab, 1f / temperature),
            () =>
            {
                var kernel = host.Kernel(static a =>
                    a.LoadStreamKernel<ArrayView<float>, ArrayView<int>, ArrayView<StepStatistics>, int, float>(Kernel));
                kernel(host.ReductionLaunch((int)rows), logits, tokens, statistics, vocab, 1f / temperature);
            });
    }

    /// <summary>
    /// The host form of <see cref="Kernel"/>: the same two passes and float32 sums, rows in parallel; the second pass
    /// fused into one sweep of SIMD lanes per block of logits, the blocks' sums added in order.
    /// </summary>
    private static void Managed(ArrayView<float> logits, ArrayView<int> tokens, ArrayView<StepStatistics> statistics,
        int vocab, float inverseTemperature)
    {
        HostView<float> scores = logits.OnHost();
        HostView<int> sampled = tokens.OnHost();
        HostView<StepStatistics> output = statistics.OnHost();
        HostLoop.For(sampled.Length, 3L * vocab, row =>
        {
            var x = scores.Span.Slice(row * vocab, vocab);
            float rawMax = TensorPrimitives.Max(x);
            float max = rawMax * inverseTemperature;
            float sum = 0, weighted = 0, rawSum = 0;
            for (int block = 0; block < Blocks.Count(vocab, Blocks.Vocabulary); block++)
            {
                var columns = Blocks.Of(block, vocab, Blocks.Vocabulary);
                var (blockSum, blockWeighted, blockRawSum) = ShiftedSums(x.Slice(columns.Start, columns.Length), inverseTemperature, max, rawMax);
                sum += blockSum;
                weighted += blockWeighted;
                rawSum += blockRawSum;
            }
            int token = sampled.Span[row];
            float chosen = token >= 0 && token < vocab ? x[token] : float.NaN;
            output.Span[row] = Finish(max, rawMax, sum, weighted, rawSum, chosen, inverseTemperature);
        });
    }

    /// <summary>Σ e_i, Σ e_i s_i and Σ exp(ℓ_i − max ℓ) over <paramref name="logits"/>, with s_i = ℓ_i/τ − max and e_i = exp(s_i).</summary>
    private static (float Sum, float Weighted, float RawSum) ShiftedSums(ReadOnlySpan<float> logits, float inverseTemperature,
        float max, float rawMax)
    {
        Vector512<float> sum = Vector512<float>.Zero, weighted = Vector512<float>.Zero, rawSum = Vector512<float>.Zero;
        // e is 0 below the floor, where s is clamped to it: a masked token (s = −∞) adds 0 · floor, not 0 · −∞ = NaN.
        var (floor, scale, shift, rawShift) = (Vector512.Create(Exponential.Floor), Vector512.Create(inverseTemperature),
            Vector512.Create(max), Vector512.Create(rawMax));
        var vectors = MemoryMarshal.Cast<float, Vector512<float>>(logits);
        foreach (var logit in vectors)
        {
            var shifted = logit * scale - shift;
            var e = Exponential.Of(shifted);
            sum += e;
            weighted = Vector512.FusedMultiplyAdd(e, Vector512.MaxNative(floor, shifted), weighted);
            rawSum += Exponential.Of(logit - rawShift);
        }
        float total = Vector512.Sum(sum), totalWeighted = Vector512.Sum(weighted), totalRaw = Vector512.Sum(rawSum);
        for (int i = vectors.Length * Vector512<float>.Count; i < logits.Length; i++)
        {
            float shifted = logits[i] * inverseTemperature - max, e = Exponential.Of(shifted);
            total += e;
            totalWeighted += e * MathF.Max(shifted, Exponential.Floor);
            totalRaw += Exponential.Of(logits[i] - rawMax);
        }
        return (total, totalWeighted, totalRaw);
    }

    private static void Kernel(ArrayView<float> logits, ArrayView<int> tokens, ArrayView<StepStatistics> statistics,
        int vocab, float inverseTemperature)
    {
        int row = Grid.IdxX;
        long offset = (long)row * vocab;

        float localMax = float.NegativeInfinity;
        for (int i = Group.IdxX; i < vocab; i += Group.DimX)
            localMax = MathF.Max(localMax, logits[offset + i]);
        float rawMax = GroupReduce.Max(localMax);
        float max = rawMax * inverseTemperature; // τ > 0 keeps the arg max

        // Shifted sums: Σ e_i, Σ e_i (x_i − max) with e_i = exp(x_i − max), x = ℓ/τ; and Σ exp(ℓ_i − max ℓ).
        float sum = 0, weighted = 0, rawSum = 0;
        for (int i = Group.IdxX; i < vocab; i += Group.DimX)
        {
            float logit = logits[offset + i];
            float shifted = logit * inverseTemperature - max;
            float e = MathF.Exp(shifted);
            sum += e;
            if (e > 0) weighted += e * shifted; // a masked token (−∞) adds 0, not 0 · −∞ = NaN
            rawSum += MathF.Exp(logit - rawMax);
        }
        sum = GroupReduce.Sum(sum);
        weighted = GroupReduce.Sum(weighted);
        rawSum = GroupReduce.Sum(rawSum);

        if (Group.IdxX != 0) return;
        int token = tokens[row];
        float chosen = token >= 0 && token < vocab ? logits[offset + token] : float.NaN;
        statistics[row] = Finish(max, rawMax, sum, weighted, rawSum, chosen, inverseTemperature);
    }

    /// <summary>
    /// A row's statistics from its maxima, the shifted sums Σ e_i, Σ e_i (x_i − max), Σ exp(ℓ_i − max ℓ) and the
    /// sampled token's logit (NaN for a token outside the vocabulary). Shared by the kernel and the managed path.
    /// </summary>
    private static StepStatistics Finish(float max, float rawMax, float sum, float weighted, float rawSum, float chosen,
        float inverseTemperature)
    {
        float logSum = MathF.Log(sum);
        StepStatistics result;
        result.Max = max;
        result.LogSumExp = max + logSum;
        result.LogProb = chosen * inverseTemperature - (max + logSum);
        result.RawLogProb = chosen - (rawMax + MathF.Log(rawSum));
        result.Entropy = logSum - weighted / sum; // −Σ p log p with log p = shifted − log Σ e
        return result;
    }
}
