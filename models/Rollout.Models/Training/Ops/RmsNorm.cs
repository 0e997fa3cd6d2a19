using System.Numerics;
using System.Numerics.Tensors;

namespace Rollout.Models.Training.Ops;

/// <summary>y = x / √(mean(x²) + ε) · γ, row by row; the forward keeps 1/rms per row for the backward.</summary>
public static class RmsNorm
{
    public static void Forward<T>(T[] x, T[] gamma, T[] y, T[] invRms, int rows, int dim, double eps)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T epsT = T.CreateChecked(eps), dimT = T.CreateChecked(dim);
        Parallel.For(0, rows, n =>
        {
            var xr = x.AsSpan(n * dim, dim);
            T inv = T.One / T.Sqrt(TensorPrimitives.SumOfSquares<T>(xr) / dimT + epsT);
            invRms[n] = inv;
            var yr = y.AsSpan(n * dim, dim);
            TensorPrimitives.Multiply<T>(xr, inv, yr);
            TensorPrimitives.Multiply<T>(yr, gamma, yr);
        });
    }

    /// <summary>Adds the input gradient to <paramref name="dx"/> and γ's gradient to <paramref name="dGamma"/>.</summary>
    public static void Backward<T>(T[] dy, T[] x, T[] gamma, T[] invRms, T[] dx, T[] dGamma, int rows, int dim)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T dimT = T.CreateChecked(dim);
        // γ's gradient is summed over rows in fixed chunks, then the chunks in order, so a run is reproducible.
        int chunks = (rows + RowsPerChunk - 1) / RowsPerChunk;
        var partial = new T[chunks * dim];
        Parallel.For(0, chunks, c =>
        {
            var dGammaChunk = partial.AsSpan(c * dim, dim);
            var scratch = new T[dim];
            for (int n = c * RowsPerChunk; n < Math.Min(rows, (c + 1) * RowsPerChunk); n++)
            {
                var dyr = dy.AsSpan(n * dim, dim);
                var xr = x.AsSpan(n * dim, dim);
                var dxr = dx.AsSpan(n * dim, dim);
                T inv = invRms[n];
                // dL/dγ_i = Σ_rows dy_i·x_i·inv
                TensorPrimitives.Multiply<T>(dyr, xr, scratch);
                TensorPrimitives.MultiplyAdd<T>(scratch, inv, dGammaChunk, dGammaChunk);
                // dL/dx_i = inv·γ_i·dy_i − x_i·inv³/dim · Σ_j dy_j γ_j x_j
                TensorPrimitives.Multiply<T>(dyr, gamma, scratch);
                T coef = TensorPrimitives.Dot<T>(scratch, xr) * inv * inv * inv / dimT;
                TensorPrimitives.MultiplyAdd<T>(scratch, inv, dxr, dxr);
                TensorPrimitives.MultiplyAdd<T>(xr, -coef, dxr, dxr);
            }
        });
        for (int c = 0; c < chunks; c++) TensorPrimitives.Add<T>(dGamma, partial.AsSpan(c * dim, dim), dGamma);
    }

    private const int RowsPerChunk = 64;
}
