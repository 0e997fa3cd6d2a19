using System.Numerics;
using System.Numerics.Tensors;

namespace Rollout.Models.Training.Ops;

/// <summary>
/// Weighted next-token cross-entropy of softmax(logits / τ) over the rows that have a target, and its gradient with
/// respect to the logits: loss = (1/N) Σ_n w_n · (−log softmax(ℓ_n / τ)[target_n]), N the number of target rows.
/// Supervised training uses w = 1 and τ = 1 (the mean cross-entropy); a policy-gradient update uses w_t = A_t and
/// the sampling temperature. Multiplying by 1 is exact, so that case computes what an unweighted version would, bit for bit.
/// </summary>
public static class CrossEntropy
{
    /// <param name="weights">w_n per row (ignored where the row has no target).</param>
    /// <returns>The loss; <paramref name="dLogits"/> gets w_n (softmax(ℓ_n/τ) − onehot) / (N τ) on target rows, 0 elsewhere.</returns>
    public static double LossAndGradient<T>(T[] logits, int[] targets, double[] weights, double temperature, int rows, int vocab, T[] dLogits)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!(temperature > 0)) throw new ArgumentOutOfRangeException(nameof(temperature), $"temperature must be positive (got {temperature})");
        int count = targets.Count(t => t >= 0);
        if (count == 0) { Array.Clear(dLogits); return 0; }
        T inv = T.One / T.CreateChecked(count);
        T invTemperature = T.One / T.CreateChecked(temperature);
        var rowLoss = new double[rows];
        Parallel.For(0, rows, n =>
        {
            var d = dLogits.AsSpan(n * vocab, vocab);
            int target = targets[n];
            if (target < 0) { d.Clear(); return; }
            var l = logits.AsSpan(n * vocab, vocab);
            T weight = T.CreateChecked(weights[n]);
            T scaledTarget = l[target] * invTemperature;
            TensorPrimitives.Multiply<T>(l, invTemperature, d);
            T max = TensorPrimitives.Max<T>(d);
            TensorPrimitives.Subtract<T>(d, max, d);
            TensorPrimitives.Exp<T>(d, d);
            T sum = TensorPrimitives.Sum<T>(d);
            rowLoss[n] = weights[n] * double.CreateChecked(T.Log(sum) + max - scaledTarget);
            // ∂/∂ℓ of the row's term: the softmax minus the onehot, scaled by w_n / N and by 1/τ through ℓ/τ.
            T scale = weight * inv * invTemperature;
            TensorPrimitives.Multiply<T>(d, scale / sum, d);
            d[target] -= scale;
        });
        return rowLoss.Sum() / count;
    }
}
