using ILGPU;
using ILGPU.Runtime;
using Rollout.Kernels.Runtime;

namespace Rollout.Kernels.Svd;

/// <summary>
/// The two dense products the randomized SVD needs, row-major, one thread per output element with a float64
/// accumulator (the inner dimension reaches the vocabulary size): C = A B and C = Aᵀ B.
/// </summary>
public static class MatrixProduct
{
    /// <summary>Float64 reference of C = A B (A: m × k, B: k × n).</summary>
    public static double[] Reference(float[] a, float[] b, int m, int k, int n)
    {
        var c = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++) sum += (double)a[i * k + p] * b[p * n + j];
                c[i * n + j] = sum;
            }
        return c;
    }

    /// <summary>Float64 reference of C = Aᵀ B (A: k × m, B: k × n).</summary>
    public static double[] TransposedReference(float[] a, float[] b, int k, int m, int n)
    {
        var c = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++) sum += (double)a[p * m + i] * b[p * n + j];
                c[i * n + j] = sum;
            }
        return c;
    }

    /// <summary>C (m × n) = A (m × k) B (k × n).</summary>
    public static void Run(AcceleratorHost host, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, int m, int k, int n)
    {
        CheckShapes(a, b, c, (long)m * k, (long)k * n, (long)m * n);
        var kernel = host.Kernel(static acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, int, int>(ProductKernel));
        kernel((int)c.Length, a, b, c, k, n);
    }

    /// <summary>C (m × n) = Aᵀ B with A (k × m), B (k × n).</summary>
    public static void RunTransposed(AcceleratorHost host, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, int k, int m, int n)
    {
        CheckShapes(a, b, c, (long)k * m, (long)k * n, (long)m * n);
        var kernel = host.Kernel(static acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, int, int, int>(TransposedKernel));
        kernel((int)c.Length, a, b, c, k, m, n);
    }

    private static void CheckShapes(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, long aLength, long bLength, long cLength)
    {
        Require.Positive(cLength, "output size");
        Require.Positive(aLength, "inner size");
        Require.Length(a, aLength, nameof(a));
        Require.Length(b, bLength, nameof(b));
        Require.Length(c, cLength, nameof(c));
    }

    private static void ProductKernel(Index1D index, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, int k, int n)
    {
        long i = index / n;
        int j = index % n;
        double sum = 0;
        for (int p = 0; p < k; p++) sum += (double)a[i * k + p] * b[(long)p * n + j];
        c[index] = (float)sum;
    }

    private static void TransposedKernel(Index1D index, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, int k, int m, int n)
    {
        int i = index / n, j = index % n;
        double sum = 0;
        for (int p = 0; p < k; p++) sum += (double)a[(long)p * m + i] * b[(long)p * n + j];
        c[index] = (float)sum;
    }
}
