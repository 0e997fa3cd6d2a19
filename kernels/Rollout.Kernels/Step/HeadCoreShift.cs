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
        var coreTimesFeature = host.Kernel(static a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(CoreTimesFeature));
        var addToLogits = host.Kernel(static a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(AddToLogits));
        coreTimesFeature((int)v.Length, v, core, coreShift, rank);
        addToLogits((int)logits.Length, logits, vocabBasis, coreShift, vocab, rank);
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
