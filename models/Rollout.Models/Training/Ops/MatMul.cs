using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Rollout.Models.Training.Ops;

/// <summary>
/// The one dense product the trainer needs, C[M,N] (+)= A[M,K]·B[N,K]ᵀ: both operands are read along
/// contiguous rows, so forward (x·Wᵀ), input gradient (dy·(Wᵀ)ᵀ) and weight gradient (dyᵀ·(xᵀ)ᵀ) all use
/// it after a transpose. Register-blocked 4×2 with 256-bit FMA, parallel over blocks of rows of A.
/// </summary>
public static class MatMul
{
    private const int RowBlock = 4;

    /// <param name="parallel">False when the caller already runs one product per thread.</param>
    public static void MultiplyTransposed<T>(T[] a, T[] b, T[] c, int m, int n, int k, bool accumulate, bool parallel = true)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (a.Length < m * k || b.Length < n * k || c.Length < m * n) throw new ArgumentException("operand too small");
        int blocks = (m + RowBlock - 1) / RowBlock;
        // Small products are not worth a thread hop.
        if (!parallel || (long)m * n * k < 1 << 16)
            for (int blk = 0; blk < blocks; blk++) Block(a, b, c, m, n, k, blk, accumulate);
        else
            Parallel.For(0, blocks, blk => Block(a, b, c, m, n, k, blk, accumulate));
    }

    /// <summary>dst[cols, rows] = srcᵀ for src[rows, cols].</summary>
    public static void Transpose<T>(T[] src, T[] dst, int rows, int cols, bool parallel = true) where T : unmanaged
    {
        const int tile = 32;
        int tilesR = (rows + tile - 1) / tile;
        void Tile(int tr)
        {
            int r0 = tr * tile, r1 = Math.Min(rows, r0 + tile);
            for (int c0 = 0; c0 < cols; c0 += tile)
            {
                int c1 = Math.Min(cols, c0 + tile);
                for (int r = r0; r < r1; r++)
                    for (int c = c0; c < c1; c++) dst[c * rows + r] = src[r * cols + c];
            }
        }
        if (!parallel || (long)rows * cols < 1 << 15) for (int t = 0; t < tilesR; t++) Tile(t);
        else Parallel.For(0, tilesR, Tile);
    }

    private static void Block<T>(T[] a, T[] b, T[] c, int m, int n, int k, int blk, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i0 = blk * RowBlock, rows = Math.Min(RowBlock, m - i0);
        int j = 0;
        if (rows == RowBlock)
            for (; j + 1 < n; j += 2) Kernel4x2(a, b, c, n, k, i0, j, accumulate);
        for (int i = i0; i < i0 + rows; i++)
            for (int jj = j; jj < n; jj++)
            {
                T dot = TensorPrimitives.Dot<T>(a.AsSpan(i * k, k), b.AsSpan(jj * k, k));
                c[i * n + jj] = accumulate ? c[i * n + jj] + dot : dot;
            }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel4x2<T>(T[] a, T[] b, T[] c, int n, int k, int i0, int j0, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T ar = ref MemoryMarshal.GetArrayDataReference(a);
        ref T br = ref MemoryMarshal.GetArrayDataReference(b);
        nuint r0 = (nuint)(i0 * k), r1 = r0 + (nuint)k, r2 = r1 + (nuint)k, r3 = r2 + (nuint)k;
        nuint s0 = (nuint)(j0 * k), s1 = s0 + (nuint)k;
        Vector256<T> c00 = default, c01 = default, c10 = default, c11 = default,
            c20 = default, c21 = default, c30 = default, c31 = default;
        nuint vectorEnd = (nuint)(k - k % Vector256<T>.Count), p = 0;
        for (; p < vectorEnd; p += (nuint)Vector256<T>.Count)
        {
            var b0 = Vector256.LoadUnsafe(ref br, s0 + p);
            var b1 = Vector256.LoadUnsafe(ref br, s1 + p);
            var x = Vector256.LoadUnsafe(ref ar, r0 + p);
            c00 = Fma(x, b0, c00); c01 = Fma(x, b1, c01);
            x = Vector256.LoadUnsafe(ref ar, r1 + p);
            c10 = Fma(x, b0, c10); c11 = Fma(x, b1, c11);
            x = Vector256.LoadUnsafe(ref ar, r2 + p);
            c20 = Fma(x, b0, c20); c21 = Fma(x, b1, c21);
            x = Vector256.LoadUnsafe(ref ar, r3 + p);
            c30 = Fma(x, b0, c30); c31 = Fma(x, b1, c31);
        }
        T d00 = Vector256.Sum(c00), d01 = Vector256.Sum(c01), d10 = Vector256.Sum(c10), d11 = Vector256.Sum(c11),
            d20 = Vector256.Sum(c20), d21 = Vector256.Sum(c21), d30 = Vector256.Sum(c30), d31 = Vector256.Sum(c31);
        for (; p < (nuint)k; p++)
        {
            T b0 = Unsafe.Add(ref br, s0 + p), b1 = Unsafe.Add(ref br, s1 + p);
            T x = Unsafe.Add(ref ar, r0 + p); d00 += x * b0; d01 += x * b1;
            x = Unsafe.Add(ref ar, r1 + p); d10 += x * b0; d11 += x * b1;
            x = Unsafe.Add(ref ar, r2 + p); d20 += x * b0; d21 += x * b1;
            x = Unsafe.Add(ref ar, r3 + p); d30 += x * b0; d31 += x * b1;
        }
        Store(c, i0 * n + j0, d00, d01, accumulate);
        Store(c, (i0 + 1) * n + j0, d10, d11, accumulate);
        Store(c, (i0 + 2) * n + j0, d20, d21, accumulate);
        Store(c, (i0 + 3) * n + j0, d30, d31, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<T>(T[] c, int at, T v0, T v1, bool accumulate) where T : unmanaged, IFloatingPointIeee754<T>
    {
        c[at] = accumulate ? c[at] + v0 : v0;
        c[at + 1] = accumulate ? c[at + 1] + v1 : v1;
    }

    /// <summary>Fused multiply-add for the two element types; the JIT removes the branch per instantiation.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Fma<T>(Vector256<T> x, Vector256<T> y, Vector256<T> acc) where T : unmanaged
    {
        if (typeof(T) == typeof(float))
            return Vector256.FusedMultiplyAdd(x.As<T, float>(), y.As<T, float>(), acc.As<T, float>()).As<float, T>();
        if (typeof(T) == typeof(double))
            return Vector256.FusedMultiplyAdd(x.As<T, double>(), y.As<T, double>(), acc.As<T, double>()).As<double, T>();
        return x * y + acc;
    }
}
