using ILGPU;
using ILGPU.Runtime;
using Rollout.Kernels.Runtime;

namespace Rollout.Kernels.Episode;

/// <summary>
/// The proxy-space score of each episode, G_k = Σ_{t∈E_k} u_t v_tᵀ (spec §4): one thread per (episode, a, b)
/// sums over the episode's tokens (episodes are short, and there are K r² threads).
/// </summary>
public static class EpisodeGradient
{
    /// <summary>Float64 reference: G (K × r × r).</summary>
    public static double[] Reference(float[] u, float[] v, IndexRange[] episodes, int rank)
    {
        var g = new double[episodes.Length * rank * rank];
        for (int k = 0; k < episodes.Length; k++)
            for (int t = episodes[k].Start; t < episodes[k].End; t++)
                for (int a = 0; a < rank; a++)
                    for (int b = 0; b < rank; b++)
                        g[(k * rank + a) * rank + b] += (double)u[t * rank + a] * v[t * rank + b];
        return g;
    }

    /// <summary>Writes G (episodes × rank × rank) from the step features <paramref name="u"/>, <paramref name="v"/> (N × rank).</summary>
    public static void Run(AcceleratorHost host, ArrayView<float> u, ArrayView<float> v, ReadOnlySpan<IndexRange> episodes,
        ArrayView<float> gradient, int rank)
    {
        Require.Positive(rank, nameof(rank));
        Require.Length(v, u.Length, nameof(v));
        if (u.Length % rank != 0) throw new ArgumentException($"u holds {u.Length} elements, not a multiple of rank {rank}.", nameof(u));
        IndexRange.Validate(episodes, (int)(u.Length / rank), "episodes");
        Require.Length(gradient, (long)episodes.Length * rank * rank, nameof(gradient));
        var episodeArray = episodes.ToArray();
        host.Dispatch(
            () => Managed(u, v, episodeArray, gradient, rank),
            () =>
            {
                using var episodeBuffer = host.Accelerator.Allocate1D(episodeArray);
                var kernel = host.Kernel(static a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>,
                    ArrayView<IndexRange>, ArrayView<float>, int>(Kernel));
                kernel((int)gradient.Length, u, v, episodeBuffer.View, gradient, rank);
                host.Accelerator.Synchronize();
            });
    }

    /// <summary>The host form of <see cref="Kernel"/>: each episode's outer products summed token after token in float32, episodes in parallel.</summary>
    private static void Managed(ArrayView<float> u, ArrayView<float> v, IndexRange[] episodes, ArrayView<float> gradient, int rank)
    {
        HostView<float> x = u.OnHost(), y = v.OnHost(), output = gradient.OnHost();
        int entries = rank * rank;
        Parallel.For(0, episodes.Length, k =>
        {
            var g = output.Span.Slice(k * entries, entries);
            g.Clear();
            OuterProducts.Add(x.Span, y.Span, [], squared: false, episodes[k], rank, g);
        });
    }

    private static void Kernel(Index1D index, ArrayView<float> u, ArrayView<float> v, ArrayView<IndexRange> episodes,
        ArrayView<float> gradient, int rank)
    {
        int entries = rank * rank;
        var episode = episodes[index / entries];
        int a = index % entries / rank, b = index % rank;
        float sum = 0;
        for (int t = episode.Start; t < episode.End; t++) sum += u[t * rank + a] * v[t * rank + b];
        gradient[index] = sum;
    }
}
