using System.Numerics;
using System.Runtime.InteropServices;

namespace Rollout.Kernels.Runtime;

/// <summary>
/// exp of shifted logits (arguments ≤ 0) in float32 on the host, for the managed backend's softmax sweeps. Below
/// <see cref="Floor"/> the result is 0: e⁻⁶⁴ ≈ 1.6e−28 lies far below float32's resolution of any sum or expectation
/// over a softmax (whose largest term is e⁰ = 1, or whose weights sum to 1), and smaller arguments would give subnormal
/// floats, which slow every later multiply-add on x86 many times over.
/// </summary>
internal static class Exponential
{
    public const float Floor = -64;

    public static Vector<float> Of(Vector<float> x)
    {
        var floor = new Vector<float>(Floor);
        // Clamped first: the lanes that end as 0 must not reach subnormals inside Exp either.
        return Vector.ConditionalSelect(Vector.LessThan(x, floor), Vector<float>.Zero, Vector.Exp(Vector.Max(x, floor)));
    }

    public static float Of(float x) => x < Floor ? 0 : MathF.Exp(x);

    /// <summary>
    /// <paramref name="y"/>[i] = exp(<paramref name="x"/>[i]); the spans may be the same. <see cref="Vector.Exp(Vector{float})"/>
    /// rather than TensorPrimitives.Exp, which for float runs several times slower here (no faster than MathF.Exp).
    /// </summary>
    public static void Of(ReadOnlySpan<float> x, Span<float> y)
    {
        var xs = MemoryMarshal.Cast<float, Vector<float>>(x);
        var ys = MemoryMarshal.Cast<float, Vector<float>>(y);
        for (int v = 0; v < xs.Length; v++) ys[v] = Of(xs[v]);
        for (int i = xs.Length * Vector<float>.Count; i < x.Length; i++) y[i] = Of(x[i]);
    }
}
