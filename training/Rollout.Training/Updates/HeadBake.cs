using Rollout.Kernels.Svd;

namespace Rollout.Training.Updates;

/// <summary>Folds a head core into the head's weights: W' = W + U_r M V_rᵀ (spec §4), so the policy runs without L2T.</summary>
public static class HeadBake
{
    /// <summary>W' for <paramref name="head"/> (V × d, row-major), in float64 sums.</summary>
    public static float[] Apply(ReadOnlySpan<float> head, HeadFactors factors, HeadCore core)
    {
        int vocab = factors.Vocab, width = factors.Width, rank = factors.Rank;
        if (head.Length != (long)vocab * width) throw new ArgumentException($"A {vocab} × {width} head has {vocab * width} entries; got {head.Length}.");
        if (core.Rank != rank) throw new ArgumentException($"A rank-{core.Rank} core for rank-{rank} factors.");
        // (M V_rᵀ)[a, j] = Σ_b M[a, b] V_r[j, b]; V_rᵀ is stored row per singular vector.
        var m = core.Values;
        var coreHidden = new double[rank * width];
        for (int a = 0; a < rank; a++)
            for (int b = 0; b < rank; b++)
                for (int j = 0; j < width; j++)
                    coreHidden[a * width + j] += (double)m[a * rank + b] * factors.HiddenBasis[b * width + j];
        var baked = head.ToArray();
        Parallel.For(0, vocab, v =>
        {
            for (int j = 0; j < width; j++)
            {
                double sum = 0;
                for (int a = 0; a < rank; a++) sum += (double)factors.VocabBasis[a * vocab + v] * coreHidden[a * width + j];
                baked[(long)v * width + j] += (float)sum;
            }
        });
        return baked;
    }
}
