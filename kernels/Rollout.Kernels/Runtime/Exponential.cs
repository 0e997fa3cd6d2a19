using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Rollout.Kernels.Runtime;

/// <summary>
/// exp of shifted logits (arguments ≤ 0) in float32 on the host, for the managed backend's softmax sweeps and the host
/// sampler's statistics. Below <see cref="Floor"/> the result is 0: e⁻⁶⁴ ≈ 1.6e−28 lies far below float32's resolution of any sum or expectation
/// over a softmax (whose largest term is e⁰ = 1, or whose weights sum to 1), and smaller arguments would give subnormal
/// floats, which slow every later multiply-add on x86 many times over.
/// </summary>
/// <remarks>
/// The sweeps that call it work in <see cref="Vector512{T}"/>: where AVX-512 is present (current x86 servers) that is
/// one instruction per op, twice <see cref="System.Numerics.Vector{T}"/>'s 256 bits, and elsewhere .NET runs each op
/// as two 256-bit halves, no slower than <see cref="System.Numerics.Vector{T}"/> there (measured for these sweeps).
/// </remarks>
public static class Exponential
{
    public const float Floor = -64;

    public static Vector512<float> Of(Vector512<float> x)
    {
        var floor = Vector512.Create(Floor);
        // Clamped first: the lanes that end as 0 must not reach subnormals below either. MaxNative skips Max's ±0 and NaN
        // fix-ups; with x second, a NaN lane stays NaN (x86 returns the second operand when either is NaN, Arm the NaN).
        return Vector512.ConditionalSelect(Vector512.LessThan(x, floor), Vector512<float>.Zero, Unclamped(Vector512.MaxNative(floor, x)));
    }

    /// <summary>
    /// exp(x) for Floor ≤ x ≤ 88, within 2 ulp, all in float32: e^x = 2^n e^r with n = round(x log₂e) and r = x − n ln 2
    /// (ln 2 in two parts, so r is exact to float32), e^r from Cephes' expf polynomial on |r| ≤ ln 2 / 2, and 2^n built in
    /// the exponent bits. n is rounded by adding 1.5·2²³, which leaves it in the sum's low mantissa bits: no separate
    /// round and float-to-int conversion (each with fix-ups for out-of-range lanes). .NET's Exp computes through double
    /// and runs ~3× slower here; these exps are most of a large vocabulary's host sweep.
    /// </summary>
    private static Vector512<float> Unclamped(Vector512<float> x)
    {
        var shifter = Vector512.Create(12582912f); // 1.5 · 2²³
        var shifted = Vector512.FusedMultiplyAdd(x, Vector512.Create(1.44269504088896341f), shifter);
        var n = shifted - shifter;
        var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-0.693359375f), x);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(2.12194440e-4f), r);
        var p = Vector512.Create(1.9875691500e-4f);
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.3981999507e-3f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(8.3334519073e-3f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(4.1665795894e-2f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.6666665459e-1f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(5.0000001201e-1f));
        p = Vector512.FusedMultiplyAdd(p, r * r, r + Vector512<float>.One);
        // The sum's bits are 0x4B400000 + n: rebias to n + 127 and move it into the exponent field.
        var twoToN = Vector512.ShiftLeft(shifted.AsInt32() + Vector512.Create(127 - 0x4B400000), 23).AsSingle();
        return p * twoToN;
    }

    public static float Of(float x) => x < Floor ? 0 : MathF.Exp(x);

    /// <summary>
    /// <paramref name="y"/>[i] = exp(<paramref name="x"/>[i]); the spans may be the same. Not TensorPrimitives.Exp, which
    /// for float runs several times slower here (no faster than MathF.Exp).
    /// </summary>
    public static void Of(ReadOnlySpan<float> x, Span<float> y)
    {
        var xs = MemoryMarshal.Cast<float, Vector512<float>>(x);
        var ys = MemoryMarshal.Cast<float, Vector512<float>>(y);
        for (int v = 0; v < xs.Length; v++) ys[v] = Of(xs[v]);
        for (int i = xs.Length * Vector512<float>.Count; i < x.Length; i++) y[i] = Of(x[i]);
    }
}
