using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Rollout.Kernels.Runtime;

/// <summary>
/// Float64 dot and axpy for the host's SVD work. Not TensorPrimitives: a factorisation runs once per model and calls
/// these ~10⁵ times, mostly before tiered compilation has optimized TensorPrimitives (~8× slower until then), so
/// these are compiled optimized from the first call.
/// </summary>
internal static class DoubleVectors
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double Dot(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        var xs = MemoryMarshal.Cast<double, Vector<double>>(x);
        var ys = MemoryMarshal.Cast<double, Vector<double>>(y[..x.Length]);
        var sum = Vector<double>.Zero;
        for (int v = 0; v < xs.Length; v++) sum += xs[v] * ys[v];
        double total = Vector.Sum(sum);
        for (int i = xs.Length * Vector<double>.Count; i < x.Length; i++) total += x[i] * y[i];
        return total;
    }

    /// <summary><paramref name="y"/> += <paramref name="a"/> · <paramref name="x"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddScaled(ReadOnlySpan<double> x, double a, Span<double> y)
    {
        var xs = MemoryMarshal.Cast<double, Vector<double>>(x);
        var ys = MemoryMarshal.Cast<double, Vector<double>>(y[..x.Length]);
        var scale = new Vector<double>(a);
        for (int v = 0; v < xs.Length; v++) ys[v] += scale * xs[v];
        for (int i = xs.Length * Vector<double>.Count; i < x.Length; i++) y[i] += a * x[i];
    }
}
