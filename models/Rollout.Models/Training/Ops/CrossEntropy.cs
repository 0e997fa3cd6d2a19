using System.Numerics;
using System.Numerics.Tensors;

namespace Rollout.Models.Training.Ops;

/// <summary>Mean next-token cross-entropy over the rows that have a target, and its gradient with respect to the logits.</summary>
public static class CrossEntropy
{
    /// <summary>Returns the mean loss; <paramref name="dLogits"/> gets (softmax − onehot) / count on target rows, 0 elsewhere.</summary>
    public static double LossAndGradient<T>(T[] logits, int[] targets, int rows, int vocab, T[] dLogits)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int count = targets.Count(t => t >= 0);
        if (count == 0) { Array.Clear(dLogits); return 0; }
        T inv = T.One / T.CreateChecked(count);
        var rowLoss = new double[rows];
        Parallel.For(0, rows, n =>
        {
            var d = dLogits.AsSpan(n * vocab, vocab);
            int target = targets[n];
            if (target < 0) { d.Clear(); return; }
            var l = logits.AsSpan(n * vocab, vocab);
            T max = TensorPrimitives.Max<T>(l);
            TensorPrimitives.Subtract<T>(l, max, d);
            TensorPrimitives.Exp<T>(d, d);
            T sum = TensorPrimitives.Sum<T>(d);
            rowLoss[n] = double.CreateChecked(T.Log(sum) + max - l[target]);
            TensorPrimitives.Multiply<T>(d, inv / sum, d);
            d[target] -= inv;
        });
        return rowLoss.Sum() / count;
    }
}
