using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace Rollout.Kernels.Runtime;

/// <summary>
/// Σ_t w_t f(x_t) f(y_t)ᵀ (rank × rank, float32) over a token range of step features x, y (N × rank), with f the
/// identity or the elementwise square: the managed form of the ops that reduce step features over tokens.
/// </summary>
internal static class OuterProducts
{
    /// <summary>Tokens per block: a block's features stay in L1 while every entry sums over them.</summary>
    private const int BlockTokens = 256;

    /// <summary>
    /// Adds the terms of <paramref name="tokens"/> to <paramref name="sum"/>, block after block; within a block each
    /// entry sums over the tokens in order. Empty <paramref name="weights"/>: w_t = 1.
    /// </summary>
    public static void Add(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> weights, bool squared,
        IndexRange tokens, int rank, Span<float> sum)
    {
        bool plain = weights.IsEmpty && !squared;
        var scratch = plain ? null : ArrayPool<float>.Shared.Rent(2 * BlockTokens * rank);
        try
        {
            for (int block = 0; block < Blocks.Count(tokens.Length, BlockTokens); block++)
            {
                var range = Blocks.Of(block, tokens.Length, BlockTokens);
                int start = (tokens.Start + range.Start) * rank, length = range.Length * rank;
                ReadOnlySpan<float> xs = x.Slice(start, length), ys = y.Slice(start, length);
                if (!plain)
                {
                    Span<float> fx = scratch.AsSpan(0, length), fy = scratch.AsSpan(length, length);
                    Transform(xs, weights.IsEmpty ? [] : weights.Slice(tokens.Start + range.Start, range.Length), squared, rank, fx);
                    Transform(ys, [], squared, rank, fy);
                    xs = fx;
                    ys = fy;
                }
                AddBlock(xs, ys, range.Length, rank, sum);
            }
        }
        finally
        {
            if (scratch != null) ArrayPool<float>.Shared.Return(scratch);
        }
    }

    /// <summary>
    /// Writes the sum over <paramref name="tokens"/> to <paramref name="sum"/>: blocks of tokens summed in parallel,
    /// then added in block order. Empty <paramref name="weights"/>: w_t = 1.
    /// </summary>
    public static void Sum(HostView<float> x, HostView<float> y, HostView<float> weights, bool squared,
        IndexRange tokens, int rank, Span<float> sum)
    {
        int entries = rank * rank, blocks = Blocks.Count(tokens.Length, BlockTokens);
        var partials = ArrayPool<float>.Shared.Rent(blocks * entries);
        try
        {
            Array.Clear(partials, 0, blocks * entries);
            Parallel.For(0, blocks, block =>
            {
                var range = Blocks.Of(block, tokens.Length, BlockTokens);
                Add(x.Span, y.Span, weights.Span, squared, range with { Start = tokens.Start + range.Start }, rank,
                    partials.AsSpan(block * entries, entries));
            });
            sum.Clear();
            for (int block = 0; block < blocks; block++) TensorPrimitives.Add(sum, partials.AsSpan(block * entries, entries), sum);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(partials);
        }
    }

    /// <summary>target = w_t f(features_t), row by row.</summary>
    private static void Transform(ReadOnlySpan<float> features, ReadOnlySpan<float> weights, bool squared, int rank, Span<float> target)
    {
        for (int i = 0; i < features.Length; i++)
        {
            float value = squared ? features[i] * features[i] : features[i];
            target[i] = weights.IsEmpty ? value : weights[i / rank] * value;
        }
    }

    /// <summary>
    /// sum[a, b] += Σ_t x[t, a] y[t, b] over <paramref name="count"/> token rows: for each a, a register of
    /// consecutive b sums over the tokens (a broadcast and a load per multiply-add, no stores).
    /// </summary>
    private static void AddBlock(ReadOnlySpan<float> x, ReadOnlySpan<float> y, int count, int rank, Span<float> sum)
    {
        int width = Vector<float>.Count, vectors = rank / width;
        // The loads stay inside y: t < count and (v + 1)·width ≤ rank, and y holds count × rank.
        ref float yStart = ref MemoryMarshal.GetReference(y);
        for (int a = 0; a < rank; a++)
        {
            var row = sum.Slice(a * rank, rank);
            for (int v = 0; v < vectors; v++)
            {
                var total = Vector<float>.Zero;
                for (int t = 0; t < count; t++)
                    total += x[t * rank + a] * Vector.LoadUnsafe(ref yStart, (nuint)(t * rank + v * width));
                var target = row.Slice(v * width, width);
                (new Vector<float>(target) + total).CopyTo(target);
            }
            for (int b = vectors * width; b < rank; b++)
            {
                float total = 0;
                for (int t = 0; t < count; t++) total += x[t * rank + a] * y[t * rank + b];
                row[b] += total;
            }
        }
    }
}
