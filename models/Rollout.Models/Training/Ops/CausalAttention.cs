using System.Numerics;
using System.Numerics.Tensors;

namespace Rollout.Models.Training.Ops;

/// <summary>
/// Scaled dot-product attention with a causal mask inside each packed sequence, grouped-query: query
/// head h reads key/value head h / (heads / kvHeads). Each (sequence, head) is a few dense L×L products
/// on <see cref="MatMul"/> (the masked half is computed and zeroed: cheaper than short dot products).
/// The forward keeps the attention probabilities, one L×L block per sequence and head, for the backward.
/// </summary>
public sealed class CausalAttention(int heads, int kvHeads, int headDim)
{
    private int QWidth => heads * headDim;
    private int KvWidth => kvHeads * headDim;
    private int Group => heads / kvHeads;

    /// <summary>Where each sequence's probability blocks start, and the total length of the buffer.</summary>
    public (long[] Offsets, long Total) ProbabilityLayout(TokenBatch batch)
    {
        var offsets = new long[batch.SequenceStarts.Length];
        long total = 0;
        for (int s = 0; s < offsets.Length; s++)
        {
            offsets[s] = total;
            total += (long)heads * batch.SequenceLengths[s] * batch.SequenceLengths[s];
        }
        return (offsets, total);
    }

    public void Forward<T>(TokenBatch batch, T[] q, T[] k, T[] v, T[] output, T[] probs, long[] probOffsets)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T scale = T.One / T.Sqrt(T.CreateChecked(headDim));
        Parallel.For(0, batch.SequenceStarts.Length * heads, job =>
        {
            int s = job / heads, h = job % heads;
            int start = batch.SequenceStarts[s], len = batch.SequenceLengths[s];
            var qh = Gather(q, start, len, QWidth, h * headDim);
            var kh = Gather(k, start, len, KvWidth, h / Group * headDim);
            var p = new T[len * len];
            MatMul.MultiplyTransposed(qh, kh, p, len, len, headDim, accumulate: false, parallel: false);
            for (int t = 0; t < len; t++)
            {
                var row = p.AsSpan(t * len, len);
                var visible = row[..(t + 1)];
                TensorPrimitives.Multiply<T>(visible, scale, visible);
                StableSoftmax.InPlace(visible);
                row[(t + 1)..].Clear();
            }
            var vhT = Transposed(Gather(v, start, len, KvWidth, h / Group * headDim), len);
            var oh = new T[len * headDim];
            MatMul.MultiplyTransposed(p, vhT, oh, len, headDim, len, accumulate: false, parallel: false);
            Scatter(oh, output, start, len, QWidth, h * headDim);
            p.CopyTo(probs.AsSpan((int)(probOffsets[s] + (long)h * len * len), len * len));
        });
    }

    /// <summary>Writes dq, dk and dv.</summary>
    public void Backward<T>(TokenBatch batch, T[] dOut, T[] q, T[] k, T[] v, T[] probs, long[] probOffsets, T[] dq, T[] dk, T[] dv)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T scale = T.One / T.Sqrt(T.CreateChecked(headDim));
        // One job per (sequence, kv head): the query heads of a group add into the same dk, dv.
        Parallel.For(0, batch.SequenceStarts.Length * kvHeads, job =>
        {
            int s = job / kvHeads, kvh = job % kvHeads;
            int start = batch.SequenceStarts[s], len = batch.SequenceLengths[s];
            var kh = Gather(k, start, len, KvWidth, kvh * headDim);
            var vh = Gather(v, start, len, KvWidth, kvh * headDim);
            var khT = Transposed(kh, len);
            var dkh = new T[len * headDim];
            var dvh = new T[len * headDim];
            var dS = new T[len * len];
            for (int h = kvh * Group; h < (kvh + 1) * Group; h++)
            {
                var p = probs.AsSpan((int)(probOffsets[s] + (long)h * len * len), len * len).ToArray();
                var dOh = Gather(dOut, start, len, QWidth, h * headDim);
                // dV += Pᵀ·dO
                var pT = new T[len * len];
                MatMul.Transpose(p, pT, len, len, parallel: false);
                MatMul.MultiplyTransposed(pT, Transposed(dOh, len), dvh, len, headDim, len, accumulate: true, parallel: false);
                // dP = dO·Vᵀ, then the softmax backward dS = P ⊙ (dP − Σ P·dP) and the 1/√d of the scores.
                MatMul.MultiplyTransposed(dOh, vh, dS, len, len, headDim, accumulate: false, parallel: false);
                for (int t = 0; t < len; t++)
                {
                    var pr = p.AsSpan(t * len, len);
                    var dr = dS.AsSpan(t * len, len);
                    T centre = TensorPrimitives.Dot<T>(pr, dr);
                    TensorPrimitives.Subtract<T>(dr, centre, dr);
                    TensorPrimitives.Multiply<T>(dr, pr, dr);
                    TensorPrimitives.Multiply<T>(dr, scale, dr);
                }
                // dQ = dS·K, dK += dSᵀ·Q
                var dqh = new T[len * headDim];
                MatMul.MultiplyTransposed(dS, khT, dqh, len, headDim, len, accumulate: false, parallel: false);
                Scatter(dqh, dq, start, len, QWidth, h * headDim);
                var dST = new T[len * len];
                MatMul.Transpose(dS, dST, len, len, parallel: false);
                var qhT = Transposed(Gather(q, start, len, QWidth, h * headDim), len);
                MatMul.MultiplyTransposed(dST, qhT, dkh, len, headDim, len, accumulate: true, parallel: false);
            }
            Scatter(dkh, dk, start, len, KvWidth, kvh * headDim);
            Scatter(dvh, dv, start, len, KvWidth, kvh * headDim);
        });
    }

    /// <summary>The [len, headDim] block of one head, copied out of rows of width <paramref name="width"/>.</summary>
    private T[] Gather<T>(T[] x, int startRow, int len, int width, int offset) where T : unmanaged
    {
        var block = new T[len * headDim];
        for (int t = 0; t < len; t++) x.AsSpan((startRow + t) * width + offset, headDim).CopyTo(block.AsSpan(t * headDim, headDim));
        return block;
    }

    private void Scatter<T>(T[] block, T[] x, int startRow, int len, int width, int offset) where T : unmanaged
    {
        for (int t = 0; t < len; t++) block.AsSpan(t * headDim, headDim).CopyTo(x.AsSpan((startRow + t) * width + offset, headDim));
    }

    private T[] Transposed<T>(T[] block, int len) where T : unmanaged
    {
        var t = new T[headDim * len];
        MatMul.Transpose(block, t, len, headDim, parallel: false);
        return t;
    }
}
