using Rollout.Kernels.Reward;

namespace Rollout.Kernels.Tests.Reward;

/// <summary>Hand-computed cases for the per-rollout reward math of spec §5.</summary>
public sealed class RewardMathTests
{
    [Theory]
    [InlineData(39, 0)] // floor(0.025·39) = 0
    [InlineData(40, 1)]
    [InlineData(79, 1)]
    [InlineData(80, 2)]
    [InlineData(1, 0)]
    public void TruncatedMeanDropsTwoAndAHalfPercentAtEachEnd(int count, int dropped) =>
        Assert.Equal(dropped, TruncatedMean.DropPerEnd(count, 0.95));

    [Fact]
    public void TruncatedMeanIgnoresTheExtremes()
    {
        // 40 values: 1..38 plus one huge and one tiny outlier, shuffled; one value dropped at each end.
        var values = Enumerable.Range(1, 38).Select(i => (float)i).Append(1000f).Append(-1000f).Reverse().ToArray();
        Assert.Equal(19.5, TruncatedMean.Compute(values, 0.95), 12);
        // 39 values (the outliers and 38..2): nothing dropped.
        Assert.Equal(Enumerable.Range(2, 37).Sum() / 39.0, TruncatedMean.Compute(values[..39], 0.95), 9);
        Assert.Throws<ArgumentException>(() => TruncatedMean.Compute([], 0.95));
    }

    [Fact]
    public void GroupAdvantagesHaveMeanZeroAndUnitStd()
    {
        double[] scores = [0.3, -1.2, 2.5, 0.0, 0.7, 1.1];
        var advantages = GroupAdvantage.Normalize(scores);
        var mean = advantages.Average();
        var std = Math.Sqrt(advantages.Select(a => (a - mean) * (a - mean)).Average());
        Assert.Equal(0, mean, 12);
        Assert.Equal(1, std, 3);
        // Hand case: mean 0.5, population std 0.5.
        var binary = GroupAdvantage.Normalize([1, 0, 0, 1]);
        Assert.Equal(0.5 / (0.5 + 1e-4), binary[0], 12);
        Assert.Equal(-0.5 / (0.5 + 1e-4), binary[1], 12);
    }

    [Fact]
    public void RewardsDifferingByRoundingNoiseGetNearlyEqualAdvantages()
    {
        // Two rewards 1e-7 apart (float32 noise): with ε = 1e-4 their advantages differ by ~1e-3, not ±1.
        var advantages = GroupAdvantage.Normalize([0.3, 0.3 + 1e-7]);
        Assert.InRange(advantages[1] - advantages[0], 0, 2e-3);
    }

    [Fact]
    public void RewardToGoSumsTheWeightedProcessRewardsFromEachEpisodeOn()
    {
        var toGo = RewardToGo.Compute([0.5, -0.25, 1.0], alpha: 0.8);
        Assert.Equal([0.8 * 1.25, 0.8 * 0.75, 0.8 * 1.0], toGo, (a, b) => Math.Abs(a - b) < 1e-12);
    }

    [Fact]
    public void AGroupOfOneOrOfEqualScoresGetsZeroAdvantage()
    {
        Assert.Equal([0.0], GroupAdvantage.Normalize([0.8]));
        Assert.All(GroupAdvantage.Normalize([1, 1, 1]), a => Assert.Equal(0, a));
        Assert.Throws<ArgumentException>(() => GroupAdvantage.Normalize([]));
    }

    [Fact]
    public void BaselineScores()
    {
        double[] means = [0.2, 0.4], outcomes = [1, 0];
        int[] tokens = [300, 100];
        Assert.Equal(means, GroupAdvantage.Scores(AdvantageBaseline.L2T, means, outcomes, tokens, 1000, 0.1));
        Assert.Equal(outcomes, GroupAdvantage.Scores(AdvantageBaseline.Grpo, means, outcomes, tokens, 1000, 0.1));
        Assert.Equal(outcomes, GroupAdvantage.Scores(AdvantageBaseline.L2TRewardToGo, means, outcomes, tokens, 1000, 0.1));
        var length = GroupAdvantage.Scores(AdvantageBaseline.Length, means, outcomes, tokens, 1000, 0.1);
        Assert.Equal(1 - 0.1 * 0.3, length[0], 12);
        Assert.Equal(-0.1 * 0.1, length[1], 12);
        Assert.Throws<ArgumentException>(() => GroupAdvantage.Scores(AdvantageBaseline.Grpo, means, [1], tokens, 1000, 0.1));
        Assert.Throws<ArgumentException>(() => GroupAdvantage.Scores(AdvantageBaseline.Length, means, outcomes, tokens, 0, 0.1));
    }

    [Fact]
    public void EpisodeRewardsSplitTheOutcomeAndAddWeightedProgress()
    {
        var rewards = EpisodeReward.Compute(1, [0.2, 0.1], [1.0, 0.5], new L2TOptions());
        Assert.Equal(0.5 + 0.8 * (0.2 - 0.6 * 1.0), rewards[0], 12);
        Assert.Equal(0.5 + 0.8 * (0.1 - 0.6 * 0.5), rewards[1], 12);
        Assert.Throws<ArgumentException>(() => EpisodeReward.Compute(1, [], [], new L2TOptions()));
        Assert.Equal(1 - 0.01, EpisodeReward.Outcome(1, formatOk: false, new L2TOptions()), 12);
        Assert.Equal(1, EpisodeReward.Outcome(1, formatOk: true, new L2TOptions()));
        Assert.Throws<ArgumentException>(() => EpisodeReward.Compute(1, [0.1], [1, 2], new L2TOptions()));
    }
}
