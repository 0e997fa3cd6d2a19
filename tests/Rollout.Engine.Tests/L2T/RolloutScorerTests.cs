using Rollout.Engine.L2T;
using Rollout.Kernels;

namespace Rollout.Engine.Tests.L2T;

public sealed class RolloutScorerTests(AcceleratorFixture accelerator) : IClassFixture<AcceleratorFixture>
{
    private const int Rank = 4;
    private const int TokenBudget = 64;
    private static readonly int[] GroupSizes = [4, 3, 1, 5];

    public static TheoryData<PenaltyEstimator, FisherScope, PenaltyNormalization, AdvantageBaseline> Settings()
    {
        var data = new TheoryData<PenaltyEstimator, FisherScope, PenaltyNormalization, AdvantageBaseline>();
        foreach (var estimator in Enum.GetValues<PenaltyEstimator>())
            foreach (var scope in Enum.GetValues<FisherScope>())
                foreach (var normalization in Enum.GetValues<PenaltyNormalization>())
                    foreach (var baseline in Enum.GetValues<AdvantageBaseline>())
                        data.Add(estimator, scope, normalization, baseline);
        return data;
    }

    [Theory, MemberData(nameof(Settings))]
    public void Matches_the_float64_recomputation(PenaltyEstimator estimator, FisherScope scope, PenaltyNormalization normalization, AdvantageBaseline baseline)
    {
        var options = new L2TOptions { Rank = Rank, Estimator = estimator, Scope = scope, Normalization = normalization, Baseline = baseline };
        var batch = ScoringCase.Random(seed: 11, Rank, GroupSizes);
        AssertMatches(batch, options);
    }

    [Fact]
    public void Rollouts_without_tokens_get_empty_terms_and_stay_out_of_the_group_statistics()
    {
        var options = new L2TOptions { Rank = Rank };
        // An empty rollout beside others, and a group whose only rollout is empty.
        var batch = ScoringCase.Random(seed: 12, Rank, [3, 1, 2], (0, 1), (1, 0));
        var scores = AssertMatches(batch, options);
        foreach (var score in (RolloutScore[])[scores[0][1], scores[1][0]])
        {
            Assert.Empty(score.TokenRewards);
            Assert.Empty(score.Advantages);
            Assert.Equal(0, Assert.Single(score.Episodes).Penalty);
        }
    }

    [Fact]
    public void A_batch_with_no_tokens_at_all_scores_without_crashing()
    {
        var batch = ScoringCase.Random(seed: 13, Rank, [2], (0, 0), (0, 1));
        var scores = AssertMatches(batch, new L2TOptions { Rank = Rank });
        Assert.All(scores[0], s => Assert.Empty(s.Advantages));
    }

    [Fact]
    public void Fit_gains_telescope_to_the_last_probe_minus_the_first()
    {
        var batch = ScoringCase.Random(seed: 14, Rank, GroupSizes);
        var scores = Scorer(new L2TOptions { Rank = Rank }).Score(batch.Inputs);
        foreach (var score in scores.SelectMany(g => g))
        {
            if (score.AnswerProbes is not { } j)
            {
                Assert.All(score.Episodes, e => Assert.Equal(0, e.FitGain));
                continue;
            }
            Assert.Equal(j[^1] - j[0], score.Episodes.Sum(e => e.FitGain), 12);
        }
    }

    [Theory]
    [InlineData(AdvantageBaseline.L2T)]
    [InlineData(AdvantageBaseline.Grpo)]
    [InlineData(AdvantageBaseline.Length)]
    public void Group_advantages_have_mean_zero_and_std_one(AdvantageBaseline baseline)
    {
        var options = new L2TOptions { Rank = Rank, Baseline = baseline };
        var batch = ScoringCase.Random(seed: 15, Rank, GroupSizes);
        var scores = Scorer(options).Score(batch.Inputs);
        foreach (var group in scores.Where(g => g.Count > 1))
        {
            var ranked = group.Select(s => Ranked(s, options)).ToArray();
            var advantages = ranked.Select(r => r.Advantage).ToArray();
            var spread = PopulationStd(ranked.Select(r => r.Scalar).ToArray());
            Assert.InRange(advantages.Average(), -1e-5, 1e-5);
            if (spread < 1e-9)
                Assert.All(advantages, a => Assert.InRange(a, -1e-5, 1e-5)); // nothing to rank: no advantage
            else // std 1 up to the spec's ε: Â = (x − mean) / (std + 1e-4)
                Assert.InRange(PopulationStd(advantages) * (spread + 1e-4) / spread, 1 - 1e-4, 1 + 1e-4);
        }
    }

    [Fact]
    public void Malformed_batches_are_refused_with_a_message()
    {
        var scorer = Scorer(new L2TOptions { Rank = Rank });
        Assert.Contains("No groups", Assert.Throws<ArgumentException>(() => scorer.Score([])).Message);
        Assert.Contains("no rollouts", Assert.Throws<ArgumentException>(() => scorer.Score([[]])).Message);

        ScoringInput good = ScoringCase.Random(seed: 16, Rank, [1]).Inputs[0][0];
        var tokens = good.Rollout.TokenIds.Length;
        Assert.Contains("u and v", Refused(WithFeatures(good.Features with { U = new float[(tokens - 1) * Rank] })));
        Assert.Contains("rank", Refused(WithFeatures(new StepFeatures(Rank + 1, new float[tokens * (Rank + 1)], new float[tokens * (Rank + 1)]))));
        Assert.Contains("no step features", Refused(WithFeatures(null)));
        Assert.Contains("log-probabilities", Refused(good with { Rollout = good.Rollout with { Logprobs = new float[tokens + 1] } }));
        Assert.Contains("answer probes", Refused(good with { AnswerProbes = [0.5] }));
        Assert.Contains("no episodes", Refused(good with { Rollout = good.Rollout with { Episodes = [] } }));

        string Refused(ScoringInput bad) => Assert.Throws<ArgumentException>(() => scorer.Score([[good], [bad]])).Message;
        ScoringInput WithFeatures(StepFeatures? features) => good with { Rollout = good.Rollout with { Features = features } };
    }

    private RolloutScorer Scorer(L2TOptions options) => new(accelerator.Host, options, new AnswerExtractor(AnswerFormat.Hash), TokenBudget);

    private IReadOnlyList<IReadOnlyList<RolloutScore>> AssertMatches(ScoringCase batch, L2TOptions options)
    {
        var scores = Scorer(options).Score(batch.Inputs);
        var expected = L2TRecomputation.Score(batch.Reference, Rank, options, TokenBudget);
        var actual = scores.SelectMany(g => g).ToArray();
        var reference = expected.SelectMany(g => g).ToArray();
        Assert.Equal(batch.Inputs.Select(g => g.Count), scores.Select(g => g.Count));
        Assert.Equal(batch.Reference.SelectMany(g => g).Select(r => r.Outcome), actual.Select(s => s.OutcomeReward));
        Agreement.Close(Terms(reference, e => e.FitGain), Terms(actual, e => e.FitGain), "ΔI_k");
        Agreement.Close(Terms(reference, e => e.Penalty), Terms(actual, e => e.Penalty), "C_k");
        Agreement.Close(Terms(reference, e => e.PenaltyNormalized), Terms(actual, e => e.PenaltyNormalized), "C̃_k");
        Agreement.Close(Terms(reference, e => e.ProcessReward), Terms(actual, e => e.ProcessReward), "r^prg_k");
        Agreement.Close(Terms(reference, e => e.Reward), Terms(actual, e => e.Reward), "R_k");
        for (int i = 0; i < actual.Length; i++)
        {
            Agreement.Close(reference[i].TokenRewards, Widen(actual[i].TokenRewards), $"rollout {i} r_t");
            Agreement.Close(reference[i].TokenAdvantages, Widen(actual[i].Advantages), $"rollout {i} A_t");
        }
        return scores;
    }

    private static double[] Terms(L2TRecomputation.Result[] rollouts, Func<L2TRecomputation.Episode, double> term) =>
        [.. rollouts.SelectMany(r => r.Episodes).Select(term)];

    private static double[] Terms(RolloutScore[] rollouts, Func<EpisodeScore, double> term) =>
        [.. rollouts.SelectMany(r => r.Episodes).Select(term)];

    private static double[] Widen(float[] values) => [.. values.Select(v => (double)v)];

    /// <summary>
    /// A rollout's baseline scalar and Â_i, read back from the scorer's output: under grpo and length, r_out or
    /// r_out − γ·T/budget and the A_t every token shares; under L2T, r̃_i recomputed from its r_t and A_t s_i / r_t
    /// at its smallest non-zero |r_t| (the least likely to be clipped).
    /// </summary>
    private static (double Scalar, double Advantage) Ranked(RolloutScore score, L2TOptions options)
    {
        if (options.Baseline != AdvantageBaseline.L2T)
        {
            Assert.All(score.Advantages, a => Assert.Equal(score.Advantages[0], a));
            var length = options.Baseline == AdvantageBaseline.Length ? options.LengthPenalty * score.Advantages.Length / TokenBudget : 0;
            return (score.OutcomeReward - length, score.Advantages[0]);
        }
        var truncatedMean = L2TRecomputation.TruncatedMean(score.TokenRewards.Select(r => (double)r), options.TruncatedMeanKeep);
        var scale = L2TRecomputation.TruncatedMean(score.TokenRewards.Select(r => (double)MathF.Abs(r)), options.TruncatedMeanKeep);
        var t = Array.IndexOf(score.TokenRewards, score.TokenRewards.Where(r => r != 0).MinBy(MathF.Abs));
        return (truncatedMean, score.Advantages[t] * scale / score.TokenRewards[t]);
    }

    private static double PopulationStd(double[] values)
    {
        var mean = values.Average();
        return Math.Sqrt(values.Average(v => (v - mean) * (v - mean)));
    }
}
