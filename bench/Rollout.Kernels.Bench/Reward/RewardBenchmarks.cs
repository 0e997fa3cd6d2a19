using Rollout.Kernels.Runtime;
using Ops = Rollout.Kernels.Reward;

namespace Rollout.Kernels.Bench.Reward;

/// <summary>
/// The reward ops that run on a backend: token credit and token advantages over N = 32768 tokens. The rest of
/// Reward/ (episode rewards, group advantages, reward-to-go, truncated means) is float64 host arithmetic over
/// per-rollout scalars, with no backend to compare.
/// </summary>
public class RewardBenchmarks : KernelBenchmark
{
    private ArrayView<float> oldLogProbs, episodeRewards, tokenRewards, advantages, scales, tokenAdvantages;
    private IndexRange[] episodes = [], rollouts = [];

    protected override void Allocate()
    {
        oldLogProbs = Uniform(Tokens, 6);
        episodeRewards = Uniform(Episodes, 1);
        tokenRewards = Uniform(Tokens, 1);
        advantages = Uniform(Rollouts, 2);
        scales = Uniform(Rollouts, 1);
        tokenAdvantages = Zeros<float>(Tokens);
        episodes = EpisodeRanges;
        rollouts = RolloutRanges;
    }

    // Reads log π_old (N), R_k (K) and the episodes; writes r_t (N).
    [Benchmark(Description = "surprise credit r_t"), Traffic(F * (2 * Tokens + Episodes) + R * Episodes)]
    public void SurpriseCredit()
    {
        Ops.SurpriseCredit.Run(Host, oldLogProbs, episodeRewards, episodes, tokenRewards);
        Synchronize();
    }

    // Reads r_t (N), Â and s (one each a rollout) and the rollouts; writes A_t (N).
    [Benchmark(Description = "token advantage A_t"), Traffic(F * (2 * Tokens + 2 * Rollouts) + R * Rollouts)]
    public void TokenAdvantage()
    {
        Ops.TokenAdvantage.Run(Host, tokenRewards, advantages, scales, rollouts, tokenAdvantages, scaled: true, clip: 5);
        Synchronize();
    }
}
