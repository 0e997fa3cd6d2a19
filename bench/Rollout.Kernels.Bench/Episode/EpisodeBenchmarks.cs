using Rollout.Kernels.Runtime;
using Ops = Rollout.Kernels.Episode;

namespace Rollout.Kernels.Bench.Episode;

/// <summary>The per-episode ops over a batch's step features: N = 32768 tokens, K = 512 episodes, 8 groups, r = 32.</summary>
public class EpisodeBenchmarks : KernelBenchmark
{
    private ArrayView<float> u, v, fisher, gradient, raw, normalized;
    private IndexRange[] groupTokens = [], episodes = [], groupEpisodes = [];

    protected override void Allocate()
    {
        u = Uniform((long)Tokens * Rank, 2);
        v = Uniform((long)Tokens * Rank, 2);
        fisher = Uniform(Groups * Rank * Rank, 1);
        gradient = Uniform(Episodes * Rank * Rank, 1);
        raw = Zeros<float>(Episodes);
        normalized = Zeros<float>(Episodes);
        groupTokens = GroupTokens;
        episodes = EpisodeRanges;
        groupEpisodes = GroupEpisodes;
    }

    // Reads u and v (N × r each) and the scopes; writes F (groups × r × r).
    [Benchmark(Description = "diagonal Fisher"), Traffic(F * (2 * Tokens * Rank + Groups * Rank * Rank) + R * Groups)]
    public void DiagonalFisher()
    {
        Ops.DiagonalFisher.Run(Host, u, v, groupTokens, fisher, Rank, 1e-5f);
        Synchronize();
    }

    // Reads u and v (N × r each) and the episodes; writes G (K × r × r).
    [Benchmark(Description = "episode G_k"), Traffic(F * (2 * Tokens * Rank + Episodes * Rank * Rank) + R * Episodes)]
    public void EpisodeGradient()
    {
        Ops.EpisodeGradient.Run(Host, u, v, episodes, gradient, Rank);
        Synchronize();
    }

    // Reads G (K × r × r), F (groups × r × r) and the scopes; writes C and C̃ (K each).
    [Benchmark(Description = "penalty C_k, C̃_k"), Traffic(F * (Episodes * Rank * Rank + Groups * Rank * Rank + 2 * Episodes) + R * Groups)]
    public void CompressionPenalty()
    {
        Ops.CompressionPenalty.Run(Host, gradient, fisher, groupEpisodes, raw, normalized, Rank, 1,
            PenaltyEstimator.Diag, PenaltyNormalization.Mean);
        Synchronize();
    }
}
