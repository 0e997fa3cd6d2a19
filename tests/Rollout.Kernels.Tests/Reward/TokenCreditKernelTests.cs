using Rollout.Kernels.Reward;
using Rollout.Kernels.Runtime;
using Rollout.Kernels.Tests.Support;

namespace Rollout.Kernels.Tests.Reward;

public sealed class TokenCreditKernelTests(Accelerators accelerators)
{
    [Theory, MemberData(nameof(Accelerators.Kinds), MemberType = typeof(Accelerators))]
    public void SurpriseCreditMatchesReference(AcceleratorKind kind)
    {
        var host = accelerators.Get(kind);
        IndexRange[] episodes = [new(0, 1), new(1, 37), new(38, 6), new(44, 1), new(45, 70)];
        var inputs = new Inputs(31);
        var logProbs = inputs.Uniform(115, -6, -0.01);
        Array.Fill(logProbs, 0f, 38, 6); // an episode the policy was sure of: uniform weights
        var rewards = inputs.Normal(episodes.Length);
        using var logProbBuffer = host.Accelerator.Allocate1D(logProbs);
        using var rewardBuffer = host.Accelerator.Allocate1D(rewards);
        using var tokenRewards = Inputs.Poisoned(host.Accelerator, logProbs.Length);

        SurpriseCredit.Run(host, logProbBuffer.View, rewardBuffer.View, episodes, tokenRewards.View);

        var reference = SurpriseCredit.Reference(logProbs, rewards.Select(r => (double)r).ToArray(), episodes);
        Close.Assert(reference, tokenRewards.GetAsArray1D(), "r_t");
        Assert.Equal(rewards[2] / 6.0, reference[40], 12);
    }

    [Theory]
    [MemberData(nameof(AdvantageCases))]
    public void TokenAdvantageMatchesReference(AcceleratorKind kind, bool scaleByTokenReward)
    {
        var host = accelerators.Get(kind);
        IndexRange[] rollouts = [new(0, 29), new(29, 1), new(30, 50), new(80, 17)];
        var inputs = new Inputs(32);
        var tokenRewards = inputs.Normal(97);
        var advantages = inputs.Normal(rollouts.Length);
        var means = inputs.Uniform(rollouts.Length, 0.1, 1);
        means[1] = 1e-9f; // |r̃| < 1e-8: the token gets Â unscaled
        using var rewardBuffer = host.Accelerator.Allocate1D(tokenRewards);
        using var advantageBuffer = host.Accelerator.Allocate1D(advantages);
        using var meanBuffer = host.Accelerator.Allocate1D(means);
        using var tokenAdvantages = Inputs.Poisoned(host.Accelerator, tokenRewards.Length);

        TokenAdvantage.Run(host, rewardBuffer.View, advantageBuffer.View, meanBuffer.View, rollouts, tokenAdvantages.View, scaleByTokenReward);

        var reference = TokenAdvantage.Reference(tokenRewards, advantages.Select(a => (double)a).ToArray(),
            means.Select(m => (double)m).ToArray(), rollouts, scaleByTokenReward);
        Close.Assert(reference, tokenAdvantages.GetAsArray1D(), "A_t");
        Assert.Equal(advantages[1], reference[29], 6);
    }

    public static TheoryData<AcceleratorKind, bool> AdvantageCases()
    {
        var cases = new TheoryData<AcceleratorKind, bool>();
        foreach (var kind in Accelerators.All)
        {
            cases.Add(kind, true);
            cases.Add(kind, false);
        }
        return cases;
    }

    [Theory, MemberData(nameof(Accelerators.Kinds), MemberType = typeof(Accelerators))]
    public void SpansThatDoNotTileTheTokensAreRejected(AcceleratorKind kind)
    {
        var host = accelerators.Get(kind);
        using var values = host.Accelerator.Allocate1D<float>(10);
        using var perSpan = host.Accelerator.Allocate1D<float>(2);
        var gap = Assert.Throws<ArgumentException>(() =>
            SurpriseCredit.Run(host, values.View, perSpan.View, [new IndexRange(0, 4), new IndexRange(5, 5)], values.View));
        Assert.Contains("tile", gap.Message);
        Assert.Throws<ArgumentException>(() =>
            SurpriseCredit.Run(host, values.View, perSpan.View, [new IndexRange(0, 10), new IndexRange(10, 0)], values.View));
        Assert.Throws<ArgumentException>(() =>
            TokenAdvantage.Run(host, values.View, perSpan.View, perSpan.View, [], values.View, true));
        Assert.Throws<ArgumentException>(() =>
            TokenAdvantage.Run(host, values.View, perSpan.View, perSpan.View, [new IndexRange(0, 10)], values.View, true));
    }
}
