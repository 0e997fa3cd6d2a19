using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;
using Rollout.Kernels.Runtime;

namespace Rollout.Kernels.Step;

/// <summary>
/// The head-core term of spec §6, ℓ_t += U_r (M v_t), applied to the logits before their statistics. Two passes:
/// s_t = M v_t (rows × r), then ℓ_t[i] += U_r[i,:]·s_t, so each logit costs r multiply-adds rather than r².
/// U_r arrives transposed, as <c>vocabBasis</c> (rank × vocab), so neighbouring threads (logits) read it coalesced.
/// </summary>
public static class HeadCoreShift
{
    /// <summary>Float64 reference: the shifted logits (rows × V).</summary>
    public static double[] Reference(float[] logits, float[] v, float[] vocabBasis, float[] core, int vocab, int rank)
    {
        var rows = v.Length / rank;
        var shifted = new double[logits.Length];
        for (int row = 0; row < rows; row++)
        {
            var s = new double[rank];
            for (int a = 0; a < rank; a++)
                for (int b = 0; b < rank; b++) s[a] += (double)core[a * rank + b] * v[row * rank + b];
            for (int i = 0; i < vocab; i++)
            {
                double sum = logits[(long)row * vocab + i];
                for (int a = 0; a < rank; a++) sum += vocabBasis[(long)a * vocab + i] * s[a];
                shifted[(long)row * vocab + i] = sum;
            }
        }
        return shifted;
    }

    /// <summary>
    /// Adds U_r (M v_t) to each row of <paramref name="logits"/> (rows × vocab) in place. <paramref name="coreShift"/>
    /// (rows × rank) receives M v_t.
    /// </summary>
    public static void Run(AcceleratorHost host, ArrayView<float> logits, ArrayView<float> v, ArrayView<float> vocabBasis,
        ArrayView<float> core, ArrayView<float> coreShift, int vocab, int rank)
    {
        Require.Positive(vocab, nameof(vocab));
        Require.Positive(rank, nameof(rank));
        if (v.Length == 0 || v.Length % rank != 0)
            throw new ArgumentException($"v holds {v.Length} elements, not a positive multiple of rank {rank}.", nameof(v));
        var rows = v.Length / rank;
        Require.Length(logits, rows * vocab, nameof(logits));
        Require.Length(vocabBasis, (long)vocab * rank, nameof(vocabBasis));
        Require.Length(core, (long)rank * rank, nameof(core));
        Require.Length(coreShift, v.Length, nameof(coreShift));
        if (logits.Length > int.MaxValue) throw new ArgumentException("One launch covers at most 2³¹ − 1 logits.", nameof(logits));
        host.Dispatch(
            () => Managed(logits, v, vocabBasis, core, coreShift, vocab, rank),
            () =>
            {
                var coreTimesFeature = host.Kernel(static a =>
                    a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(CoreTimesFeature));
                var addToLogits = host.Kernel(static a =>
                    a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(AddToLogits));
                coreTimesFeature((int)v.Length, v, core, coreShift, rank);
                addToLogits((int)logits.Length, logits, vocabBasis, coreShift, vocab, rank);
            });
    }

    /// <summary>Logits per block of the managed path: the block's columns of U_r (r × 1 KB) stay in L1 for every row.</summary>
    private const int ManagedBlock = 256;

    /// <summary>
    /// The host form of both kernels: s_t = M v_t, then per vocabulary block (in parallel) each row's U_r s_t summed in
    /// float32 registers before it is added to the logits, as <see cref="AddToLogits"/> does.
    /// </summary>
    private static void Managed(ArrayView<float> logits, ArrayView<float> v, ArrayView<float> vocabBasis,
        ArrayView<float> core, ArrayView<float> coreShift, int vocab, int rank)
    {
        HostView<float> scores = logits.OnHost(), factors = vocabBasis.OnHost(), shifts = coreShift.OnHost();
        int rows = (int)(v.Length / rank);
        Span<float> m = core.OnHost().Span, features = v.OnHost().Span;
        for (int row = 0; row < rows; row++)
            for (int a = 0; a < rank; a++)
                shifts.Span[row * rank + a] = TensorPrimitives.Dot(m.Slice(a * rank, rank), features.Slice(row * rank, rank));

        HostLoop.For(Blocks.Count(vocab, ManagedBlock), (long)rows * ManagedBlock * rank, block =>
        {
            var columns = Blocks.Of(block, vocab, ManagedBlock);
            int width = Vector<float>.Count, vectors = columns.Length / width;
            var buffer = ArrayPool<float>.Shared.Rent(vectors * width * rank);
            try
            {
                Span<float> basis = factors.Span, shift = shifts.Span, all = scores.Span;
                // The block's columns of U_r vector by vector, the r basis rows of one vector adjacent, so that the sums
                // below read contiguous memory: the basis rows themselves lie V floats apart, which map to the same cache sets.
                var packed = MemoryMarshal.Cast<float, Vector<float>>(buffer.AsSpan(0, vectors * width * rank));
                for (int a = 0; a < rank; a++)
                {
                    var basisRow = MemoryMarshal.Cast<float, Vector<float>>(basis.Slice(a * vocab + columns.Start, vectors * width));
                    for (int i = 0; i < vectors; i++) packed[i * rank + a] = basisRow[i];
                }
                for (int row = 0; row < rows; row++)
                {
                    var s = shift.Slice(row * rank, rank);
                    var target = all.Slice(row * vocab + columns.Start, columns.Length);
                    var targetVectors = MemoryMarshal.Cast<float, Vector<float>>(target[..(vectors * width)]);
                    for (int i = 0; i < vectors; i++)
                    {
                        var basisVectors = packed.Slice(i * rank, rank);
                        var sum = Vector<float>.Zero;
                        for (int a = 0; a < rank; a++) sum += s[a] * basisVectors[a];
                        targetVectors[i] += sum;
                    }
                    for (int i = vectors * width; i < columns.Length; i++)
                    {
                        float sum = 0;
                        for (int a = 0; a < rank; a++) sum += basis[a * vocab + columns.Start + i] * s[a];
                        target[i] += sum;
                    }
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(buffer);
            }
        });
    }

    private static void CoreTimesFeature(Index1D index, ArrayView<float> v, ArrayView<float> core,
        ArrayView<float> coreShift, int rank)
    {
        int row = index / rank, a = index % rank;
        float sum = 0;
        for (int b = 0; b < rank; b++) sum += core[a * rank + b] * v[row * rank + b];
        coreShift[index] = sum;
    }

    private static void AddToLogits(Index1D index, ArrayView<float> logits, ArrayView<float> vocabBasis,
        ArrayView<float> coreShift, int vocab, int rank)
    {
        int row = index / vocab, i = index % vocab;
        float sum = 0;
        for (int a = 0; a < rank; a++) sum += vocabBasis[(long)a * vocab + i] * coreShift[row * rank + a];
        logits[index] += sum;
    }
}
