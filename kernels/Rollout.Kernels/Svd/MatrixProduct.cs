using System.Runtime.CompilerServices;
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
        host.Dispatch(
            () => Managed(a, b, c, m, k, n, rowStride: k, innerStride: 1),
            () =>
            {
                var kernel = host.Kernel(static acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>,
                    ArrayView<float>, int, int>(ProductKernel));
                kernel((int)c.Length, a, b, c, k, n);
            });
    }

    /// <summary>C (m × n) = Aᵀ B with A (k × m), B (k × n).</summary>
    public static void RunTransposed(AcceleratorHost host, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, int k, int m, int n)
    {
        CheckShapes(a, b, c, (long)k * m, (long)k * n, (long)m * n);
        host.Dispatch(
            () => Managed(a, b, c, m, k, n, rowStride: 1, innerStride: m),
            () =>
            {
                var kernel = host.Kernel(static acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>,
                    ArrayView<float>, int, int, int>(TransposedKernel));
                kernel((int)c.Length, a, b, c, k, m, n);
            });
    }

    /// <summary>Inner indices per block of the managed path: a block of both operands, widened to float64, stays in cache.</summary>
    private const int InnerBlock = 256;

    /// <summary>Rows of C per work item of the managed path.</summary>
    private const int RowBlock = 16;

    /// <summary>
    /// The host form of both kernels: C[i,j] = Σ_p A(i,p) B[p,j] in float64 with A(i,p) = a[i·rowStride + p·innerStride],
    /// over fixed blocks of p. Per block, B's columns are widened once and each row of A's block is dotted with them,
    /// blocks of rows of C in parallel. Optimized from the first call, as the SVD runs once per model (see <see cref="DoubleVectors"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Managed(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, int m, int k, int n,
        int rowStride, int innerStride)
    {
        HostView<float> left = a.OnHost(), right = b.OnHost(), product = c.OnHost();
        var sums = new double[m * n];
        var columns = new double[n * Math.Min(k, InnerBlock)];
        for (int block = 0; block < Blocks.Count(k, InnerBlock); block++)
        {
            var inner = Blocks.Of(block, k, InnerBlock);
            var rightRows = right.Span;
            for (int p = 0; p < inner.Length; p++)
                for (int j = 0; j < n; j++) columns[j * inner.Length + p] = rightRows[(inner.Start + p) * n + j];
            Parallel.For(0, Blocks.Count(m, RowBlock), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (rows) =>
            {
                var leftValues = left.Span;
                var row = new double[inner.Length];
                var range = Blocks.Of(rows, m, RowBlock);
                for (int i = range.Start; i < range.End; i++)
                {
                    for (int p = 0; p < inner.Length; p++) row[p] = leftValues[i * rowStride + (inner.Start + p) * innerStride];
                    for (int j = 0; j < n; j++) sums[i * n + j] += DoubleVectors.Dot(row, columns.AsSpan(j * inner.Length, inner.Length));
                }
            });
        }
        var output = product.Span;
        for (int i = 0; i < sums.Length; i++) output[i] = (float)sums[i];
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
