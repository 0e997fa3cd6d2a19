using System.Numerics;
using System.Numerics.Tensors;

namespace Rollout.Models.Training.Optimization;

public static class GradientClipping
{
    /// <summary>Scales all gradients down so their global L2 norm is at most <paramref name="maxNorm"/>; returns the norm before clipping.</summary>
    public static double ClipGlobalNorm<T>(IReadOnlyList<Parameter<T>> parameters, double maxNorm) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double sumSquares = parameters.Sum(p => double.CreateChecked(TensorPrimitives.SumOfSquares<T>(p.Grad)));
        double norm = Math.Sqrt(sumSquares);
        if (norm > maxNorm)
        {
            T scale = T.CreateChecked(maxNorm / norm);
            foreach (var p in parameters) TensorPrimitives.Multiply<T>(p.Grad, scale, p.Grad);
        }
        return norm;
    }
}
