using System.Numerics;
using System.Runtime.InteropServices;

namespace Rollout.Kernels.Runtime;

/// <summary>
/// exp of shifted logits (arguments ≤ 0) in float32 on the host, for the managed backend's softmax sweeps and the host
/// sampler's statistics. Below <see cref="Floor"/> the result is 0: e⁻⁶⁴ ≈ 1.6e−28 lies far below float32's resolution of any sum or expectation
/// over a softmax (whose largest term is e⁰ = 1, or whose weights sum to 1), and smaller arguments would give subnormal
/// floats, which slow every later multiply-add on x86 many times over.
/// </summary>
public static class Exponential
{
    public const float Floor = -64;

    public static Vector<float> Of(Vector<float> x)
    {
        var floor = new Vector<float>(Floor);
        // Clamped first: the lanes that end as 0 must not reach subnormals below either.
        return Vector.ConditionalSelect(Vector.LessThan(x, floor), Vector<float>.Zero, Unclamped(Vector.Max(x, floor)));
    }

    /// <summary>
    /// exp(x) for Floor ≤ x ≤ 88, within 2 ulp, all in float32: e^x = 2^n e^r with n = round(x log₂e) and r = x − n ln 2
    /// (ln 2 in two parts, so r is exact to float32), e^r from Cephes' expf polynomial on |r| ≤ ln 2 / 2, and 2^n built in
    /// the exponent bits. .NET's <see cref="Vector.Exp(Vector{float})"/> computes through double and runs ~3× slower
    /// here; these exps are most of a large vocabulary's host sweep.
    /// </summary>
    private static Vector<float> Unclamped(Vector<float> x)
    {
        var n = Vector.Round(x * new Vector<float>(1.44269504088896341f));
        var r = Vector.FusedMultiplyAdd(n, new Vector<float>(-0.693359375f), x);
        r = Vector.FusedMultiplyAdd(n, new Vector<float>(2.12194440e-4f), r);
        var p = new Vector<float>(1.9875691500e-4f);
        p = Vector.FusedMultiplyAdd(p, r, new Vector<float>(1.3981999507e-3f));
        p = Vector.FusedMultiplyAdd(p, r, new Vector<float>(8.3334519073e-3f));
        p = Vector.FusedMultiplyAdd(p, r, new Vector<float>(4.1665795894e-2f));
        p = Vector.FusedMultiplyAdd(p, r, new Vector<float>(1.6666665459e-1f));
        p = Vector.FusedMultiplyAdd(p, r, new Vector<float>(5.0000001201e-1f));
        p = Vector.FusedMultiplyAdd(p, r * r, r + Vector<float>.One);
        var twoToN = Vector.As<int, float>(Vector.ShiftLeft(Vector.ConvertToInt32(n) + new Vector<int>(127), 23));
        return p * twoToN;
    }

    public static float Of(float x) => x < Floor ? 0 : MathF.Exp(x);

    /// <summary>
    /// <paramref name="y"/>[i] = exp(<paramref name="x"/>[i]); the spans may be the same. Not TensorPrimitives.Exp, which
    /// for float runs several times slower here (no faster than MathF.Exp).
    /// </summary>
    public static void Of(ReadOnlySpan<float> x, Span<float> y)
    {
        var xs = MemoryMarshal.Cast<float, Vector<float>>(x);
        var ys = MemoryMarshal.Cast<float, Vector<float>>(y);
        for (int v = 0; v < xs.Length; v++) ys[v] = Of(xs[v]);
        for (int i = xs.Length * Vector<float>.Count; i < x.Length; i++) y[i] = Of(x[i]);
    }
}
