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
                entropy -= Math.Exp(logP) * logP;
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
        var kernel = host.Kernel(static a =>
            a.LoadStreamKernel<ArrayView<float>, ArrayView<int>, ArrayView<StepStatistics>, int, float>(Kernel));
        kernel(host.ReductionLaunch((int)rows), logits, tokens, statistics, vocab, 1f / temperature);
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
            weighted += e * shifted;
            rawSum += MathF.Exp(logit - rawMax);
        }
        sum = GroupReduce.Sum(sum);
        weighted = GroupReduce.Sum(weighted);
        rawSum = GroupReduce.Sum(rawSum);

        if (Group.IdxX != 0) return;
        float logSum = MathF.Log(sum);
        int token = tokens[row];
        float chosen = token >= 0 && token < vocab ? logits[offset + token] : float.NaN;
        StepStatistics result;
        result.Max = max;
        result.LogSumExp = max + logSum;
        result.LogProb = chosen * inverseTemperature - (max + logSum);
        result.RawLogProb = chosen - (rawMax + MathF.Log(rawSum));
        result.Entropy = logSum - weighted / sum; // −Σ p log p with log p = shifted − log Σ e
        statistics[row] = result;
    }
}
