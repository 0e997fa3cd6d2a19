using System.Numerics.Tensors;
using Rollout.Kernels.Runtime;

namespace Rollout.Kernels.Svd;

/// <summary>Orthonormalises the columns of a tall matrix held as column arrays: modified Gram–Schmidt, run twice ("twice is enough").</summary>
public static class GramSchmidt
{
    /// <summary>Replaces <paramref name="columns"/> by an orthonormal basis of their span, in order; a column that vanishes stays 0.</summary>
    public static void Orthonormalize(double[][] columns)
    {
        for (int pass = 0; pass < 2; pass++)
            for (int j = 0; j < columns.Length; j++)
            {
                var column = columns[j];
                for (int i = 0; i < j; i++)
                    DoubleVectors.AddScaled(columns[i], -DoubleVectors.Dot(columns[i], column), column);
                var norm = Math.Sqrt(DoubleVectors.Dot(column, column));
                if (norm > 0) TensorPrimitives.Divide(column, norm, column);
            }
    }
}
