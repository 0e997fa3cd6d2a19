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
    public void TokenAdvantageMatchesReference(AcceleratorKind kind, bool scaled)
    {
        var host = accelerators.Get(kind);
        IndexRange[] ranges = [new(0, 29), new(29, 1), new(30, 50), new(80, 17)];
        var inputs = new Inputs(32);
        var tokenRewards = inputs.Normal(97);
        var advantages = inputs.Normal(ranges.Length);
        var scales = inputs.Uniform(ranges.Length, 0.1, 1);
        scales[1] = 1e-9f; // s < 1e-8: the token gets Â unscaled
        scales[3] = 0.05f; // Â r_t / s beyond ±2 for most tokens: clipped
        const float clip = 2;
        using var rewardBuffer = host.Accelerator.Allocate1D(tokenRewards);
        using var advantageBuffer = host.Accelerator.Allocate1D(advantages);
        using var scaleBuffer = host.Accelerator.Allocate1D(scales);
        using var tokenAdvantages = Inputs.Poisoned(host.Accelerator, tokenRewards.Length);

        // Unscaled, the scales are not read: the scorer passes none.
        TokenAdvantage.Run(host, rewardBuffer.View, advantageBuffer.View, scaled ? scaleBuffer.View : default, ranges, tokenAdvantages.View, scaled, clip);

        var reference = TokenAdvantage.Reference(tokenRewards, advantages.Select(a => (double)a).ToArray(),
            scaled ? scales.Select(m => (double)m).ToArray() : null, ranges, clip);
        Close.Assert(reference, tokenAdvantages.GetAsArray1D(), "A_t");
        Assert.Equal(advantages[1], reference[29], 6);
        if (scaled)
        {
            Assert.Contains(reference[80..], a => Math.Abs(a) == clip);
            Assert.All(reference, a => Assert.InRange(Math.Abs(a), 0, clip));
            // Hand-checked entry: token 0 of range 0.
            Assert.Equal(Math.Clamp((double)advantages[0] * tokenRewards[0] / scales[0], -clip, clip), reference[0], 12);
        }
        else
            Assert.All(Enumerable.Range(30, 50), t => Assert.Equal(advantages[2], reference[t], 6));
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
            TokenAdvantage.Run(host, values.View, perSpan.View, perSpan.View, [], values.View, true, 5));
        Assert.Throws<ArgumentException>(() =>
            TokenAdvantage.Run(host, values.View, perSpan.View, perSpan.View, [new IndexRange(0, 10)], values.View, true, 5));
    }
}
