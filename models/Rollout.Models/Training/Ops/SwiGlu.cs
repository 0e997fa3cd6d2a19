using System.Numerics;
using System.Numerics.Tensors;

namespace Rollout.Models.Training.Ops;

/// <summary>The gated MLP activation, a = silu(gate) · up, elementwise; vectorised over chunks run in parallel.</summary>
public static class SwiGlu
{
    private const int Chunk = 1 << 13;

    public static void Forward<T>(T[] gate, T[] up, T[] act, int count) where T : unmanaged, IFloatingPointIeee754<T> =>
        Chunks(count, (start, length) =>
        {
            var g = gate.AsSpan(start, length);
            var a = act.AsSpan(start, length);
            // act may alias gate (the cached decoder reuses the buffer), so σ(g) goes to a scratch span first.
            var sg = new T[length];
            TensorPrimitives.Sigmoid<T>(g, sg);
            TensorPrimitives.Multiply<T>(sg, g, sg);
            TensorPrimitives.Multiply<T>(sg, up.AsSpan(start, length), a);
        });

    public static void Backward<T>(T[] dAct, T[] gate, T[] up, T[] dGate, T[] dUp, int count) where T : unmanaged, IFloatingPointIeee754<T> =>
        Chunks(count, (start, length) =>
        {
            var g = gate.AsSpan(start, length);
            var da = dAct.AsSpan(start, length);
            var dg = dGate.AsSpan(start, length);
            var du = dUp.AsSpan(start, length);
            var sg = new T[length];
            var silu = new T[length];
            TensorPrimitives.Sigmoid<T>(g, sg);
            TensorPrimitives.Multiply<T>(sg, g, silu);
            TensorPrimitives.Multiply<T>(da, silu, du);
            // silu'(g) = σ(g)·(1 + g·(1 − σ(g))) = σ(g) + silu(g)·(1 − σ(g))
            TensorPrimitives.Subtract<T>(T.One, sg, dg);
            TensorPrimitives.MultiplyAdd<T>(silu, dg, sg, dg);
            TensorPrimitives.Multiply<T>(dg, da, dg);
            TensorPrimitives.Multiply<T>(dg, up.AsSpan(start, length), dg);
        });

    private static void Chunks(int count, Action<int, int> body) =>
        Parallel.For(0, (count + Chunk - 1) / Chunk, c => body(c * Chunk, Math.Min(Chunk, count - c * Chunk)));
}
