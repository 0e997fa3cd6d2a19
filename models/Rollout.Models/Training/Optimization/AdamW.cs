using System.Numerics;

namespace Rollout.Models.Training.Optimization;

/// <summary>Adam with decoupled weight decay (Loshchilov &amp; Hutter), applied to matrices only (<see cref="Parameter{T}.Decays"/>).</summary>
public sealed class AdamW<T>(IReadOnlyList<Parameter<T>> parameters, double beta1 = 0.9, double beta2 = 0.95, double epsilon = 1e-8, double weightDecay = 0.05)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[][] _m = parameters.Select(p => new T[p.Value.Length]).ToArray();
    private readonly T[][] _v = parameters.Select(p => new T[p.Value.Length]).ToArray();
    private int _step;

    public void Step(double learningRate)
    {
        _step++;
        double c1 = 1 - Math.Pow(beta1, _step), c2 = 1 - Math.Pow(beta2, _step);
        T b1 = T.CreateChecked(beta1), b2 = T.CreateChecked(beta2), eps = T.CreateChecked(epsilon);
        T stepSize = T.CreateChecked(learningRate / c1), invC2 = T.CreateChecked(1 / c2);
        Parallel.For(0, parameters.Count, i =>
        {
            var p = parameters[i];
            T[] m = _m[i], v = _v[i], w = p.Value, g = p.Grad;
            T decay = T.CreateChecked(p.Decays ? 1 - learningRate * weightDecay : 1);
            for (int j = 0; j < w.Length; j++)
            {
                m[j] = b1 * m[j] + (T.One - b1) * g[j];
                v[j] = b2 * v[j] + (T.One - b2) * g[j] * g[j];
                w[j] = w[j] * decay - stepSize * m[j] / (T.Sqrt(v[j] * invC2) + eps);
            }
        });
    }
}
