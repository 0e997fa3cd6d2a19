using System.Runtime.CompilerServices;
using Rollout.Kernels.Runtime;

namespace Rollout.Kernels.Svd;

/// <summary>SVD of a small dense matrix by one-sided (Hestenes) Jacobi rotations, in float64.</summary>
public static class JacobiSvd
{
    private const int MaxSweeps = 60;

    /// <summary>
    /// X = L diag(σ) Rᵀ for X given as <paramref name="columns"/> (n columns of length m, m ≥ n), σ descending.
    /// Returns L as n columns of length m, σ, and R as n columns of length n. The input is overwritten.
    /// </summary>
    public static (double[][] Left, double[] Singular, double[][] Right) Decompose(double[][] columns)
    {
        int n = columns.Length;
        var right = new double[n][];
        for (int j = 0; j < n; j++) { right[j] = new double[n]; right[j][j] = 1; }

        for (int sweep = 0; sweep < MaxSweeps; sweep++)
        {
            bool rotated = false;
            for (int p = 0; p < n - 1; p++)
                for (int q = p + 1; q < n; q++)
                {
                    double alpha = DoubleVectors.Dot(columns[p], columns[p]), beta = DoubleVectors.Dot(columns[q], columns[q]), gamma = DoubleVectors.Dot(columns[p], columns[q]);
                    if (Math.Abs(gamma) <= 1e-15 * Math.Sqrt(alpha * beta) || gamma == 0) continue;
                    rotated = true;
                    double zeta = (beta - alpha) / (2 * gamma);
                    double t = Math.Sign(zeta == 0 ? 1 : zeta) / (Math.Abs(zeta) + Math.Sqrt(1 + zeta * zeta));
                    double c = 1 / Math.Sqrt(1 + t * t), s = c * t;
                    Rotate(columns[p], columns[q], c, s);
                    Rotate(right[p], right[q], c, s);
                }
            if (!rotated) break;
        }

        var singular = columns.Select(x => Math.Sqrt(DoubleVectors.Dot(x, x))).ToArray();
        var order = Enumerable.Range(0, n).OrderByDescending(j => singular[j]).ToArray();
        var left = order.Select(j => columns[j].Select(x => singular[j] > 0 ? x / singular[j] : 0).ToArray()).ToArray();
        return (left, order.Select(j => singular[j]).ToArray(), order.Select(j => right[j]).ToArray());
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // once per model: see DoubleVectors
    private static void Rotate(double[] x, double[] y, double c, double s)
    {
        for (int i = 0; i < x.Length; i++)
        {
            double xi = x[i], yi = y[i];
            x[i] = c * xi - s * yi;
            y[i] = s * xi + c * yi;
        }
    }
}
