using System.Numerics.Tensors;
using ILGPU;
using ILGPU.Runtime;
using Rollout.Kernels.Runtime;

namespace Rollout.Kernels.Episode;

/// <summary>
/// Each episode's compression penalty C_k from its score G_k and its scope's Fisher F (spec §4), and the normalised
/// C̃_k = C_k / mean(C over the scope's episodes). One group per episode reduces over the r² entries; then one
/// group per scope averages its episodes.
/// </summary>
public static class CompressionPenalty
{
    /// <summary>Float64 reference: (C, C̃) per episode. <paramref name="episodeScopes"/>: the episodes of each scope.</summary>
    public static (double[] Raw, double[] Normalized) Reference(float[] gradient, float[] fisher, IndexRange[] episodeScopes,
        int rank, double step, PenaltyEstimator estimator, PenaltyNormalization normalization)
    {
        int entries = rank * rank, episodes = gradient.Length / entries;
        var raw = new double[episodes];
        var normalized = new double[episodes];
        for (int s = 0; s < episodeScopes.Length; s++)
        {
            var scope = episodeScopes[s];
            for (int k = scope.Start; k < scope.End; k++)
            {
                double weighted = 0, squares = 0;
                for (int e = 0; e < entries; e++)
                {
                    double g = gradient[k * entries + e];
                    weighted += fisher[s * entries + e] * step * step * g * g;
                    squares += g * g;
                }
                raw[k] = estimator == PenaltyEstimator.Diag ? weighted : step * step * squares * squares;
            }
            double mean = 0;
            for (int k = scope.Start; k < scope.End; k++) mean += raw[k] / scope.Length;
            for (int k = scope.Start; k < scope.End; k++)
                normalized[k] = normalization == PenaltyNormalization.Raw ? raw[k] : mean == 0 ? 0 : raw[k] / mean;
        }
        return (raw, normalized);
    }

    /// <summary>
    /// Writes C (<paramref name="raw"/>) and C̃ (<paramref name="normalized"/>, equal to C under
    /// <see cref="PenaltyNormalization.Raw"/>) per episode from G (episodes × rank × rank) and F (scopes × rank × rank).
    /// <paramref name="episodeScopes"/> lists each scope's episodes as a range of episode indices and must tile them.
    /// </summary>
    public static void Run(AcceleratorHost host, ArrayView<float> gradient, ArrayView<float> fisher,
        ReadOnlySpan<IndexRange> episodeScopes, ArrayView<float> raw, ArrayView<float> normalized,
        int rank, float step, PenaltyEstimator estimator, PenaltyNormalization normalization)
    {
        Require.Positive(rank, nameof(rank));
        long entries = (long)rank * rank;
        if (gradient.Length == 0 || gradient.Length % entries != 0)
            throw new ArgumentException($"gradient holds {gradient.Length} elements, not a positive multiple of rank² = {entries}.", nameof(gradient));
        var episodes = (int)(gradient.Length / entries);
        IndexRange.ValidateTiling(episodeScopes, episodes, "episode scopes");
        Require.Length(fisher, episodeScopes.Length * entries, nameof(fisher));
        Require.Length(raw, episodes, nameof(raw));
        Require.Length(normalized, episodes, nameof(normalized));

        var scopes = episodeScopes.ToArray();
        bool diagonal = estimator == PenaltyEstimator.Diag, byMean = normalization == PenaltyNormalization.Mean;
        host.Dispatch(
            () => Managed(gradient, fisher, scopes, raw, normalized, rank, step, diagonal, byMean),
            () =>
            {
                var episodeScope = new int[episodes];
                for (int s = 0; s < scopes.Length; s++)
                    for (int k = scopes[s].Start; k < scopes[s].End; k++) episodeScope[k] = s;
                using var episodeScopeBuffer = host.Accelerator.Allocate1D(episodeScope);
                using var scopeBuffer = host.Accelerator.Allocate1D(scopes);
                var penalty = host.Kernel(static a => a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<int>,
                    ArrayView<float>, int, float, int>(PenaltyKernel));
                var normalize = host.Kernel(static a => a.LoadStreamKernel<ArrayView<float>, ArrayView<IndexRange>,
                    ArrayView<float>, int>(NormalizeKernel));
                penalty(host.ReductionLaunch(episodes), gradient, fisher, episodeScopeBuffer.View, raw, rank, step, diagonal ? 1 : 0);
                normalize(host.ReductionLaunch(scopes.Length), raw, scopeBuffer.View, normalized, byMean ? 1 : 0);
                host.Accelerator.Synchronize(); // the index buffers are freed on return
            });
    }

    /// <summary>The host form of both kernels, in the same float32 sums: C_k per episode, then each scope's mean.</summary>
    private static void Managed(ArrayView<float> gradient, ArrayView<float> fisher, IndexRange[] scopes,
        ArrayView<float> raw, ArrayView<float> normalized, int rank, float step, bool diagonal, bool byMean)
    {
        int entries = rank * rank;
        Span<float> g = gradient.OnHost().Span, f = fisher.OnHost().Span, penalties = raw.OnHost().Span, scaled = normalized.OnHost().Span;
        var squares = new float[entries];
        for (int s = 0; s < scopes.Length; s++)
        {
            var scope = scopes[s];
            for (int k = scope.Start; k < scope.End; k++)
            {
                var gk = g.Slice(k * entries, entries);
                TensorPrimitives.Multiply(gk, gk, squares);
                float sum = diagonal ? TensorPrimitives.Dot(f.Slice(s * entries, entries), squares) : TensorPrimitives.Sum(squares);
                penalties[k] = step * step * (diagonal ? sum : sum * sum);
            }
            float mean = TensorPrimitives.Sum(penalties.Slice(scope.Start, scope.Length)) / scope.Length;
            for (int k = scope.Start; k < scope.End; k++)
                scaled[k] = !byMean ? penalties[k] : mean == 0 ? 0 : penalties[k] / mean;
        }
    }

    private static void PenaltyKernel(ArrayView<float> gradient, ArrayView<float> fisher, ArrayView<int> episodeScope,
        ArrayView<float> raw, int rank, float step, int diagonal)
    {
        int entries = rank * rank, episode = Grid.IdxX;
        long gOffset = (long)episode * entries, fOffset = (long)episodeScope[episode] * entries;
        float weighted = 0, squares = 0;
        for (int e = Group.IdxX; e < entries; e += Group.DimX)
        {
            float g = gradient[gOffset + e];
            weighted += fisher[fOffset + e] * g * g;
            squares += g * g;
        }
        weighted = GroupReduce.Sum(weighted);
        squares = GroupReduce.Sum(squares);
        if (Group.IdxX == 0)
            raw[episode] = step * step * (diagonal != 0 ? weighted : squares * squares);
    }

    private static void NormalizeKernel(ArrayView<float> raw, ArrayView<IndexRange> episodeScopes,
        ArrayView<float> normalized, int byMean)
    {
        var scope = episodeScopes[Grid.IdxX];
        float partial = 0;
        for (int k = scope.Start + Group.IdxX; k < scope.End; k += Group.DimX) partial += raw[k];
        float mean = GroupReduce.Sum(partial) / scope.Length;
        for (int k = scope.Start + Group.IdxX; k < scope.End; k += Group.DimX)
            normalized[k] = byMean == 0 ? raw[k] : mean == 0 ? 0 : raw[k] / mean;
    }
}
