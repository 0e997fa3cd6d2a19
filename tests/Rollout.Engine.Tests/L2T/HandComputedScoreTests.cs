using Rollout.Engine.Episodes;
using Rollout.Engine.Generation;
using Rollout.Engine.L2T;
using Rollout.Kernels;

namespace Rollout.Engine.Tests.L2T;

/// <summary>
/// One group of two rollouts, two episodes each, rank 2, λ = 0, worked by hand.
/// A: 3 tokens, tags [0,1) [1,2), the answer token 2 joins episode 2 (credit spans [0,1) [1,3)); "#### 12" is right.
/// B: 2 tokens, tags [0,1) [1,2); "#### 13" is wrong.
/// u, v per token — A: (1,0)(1,1), (0,1)(2,0), (1,1)(0,1); B: (1,0)(0,1), (0,2)(1,0).
/// Fisher over the group's 5 tokens: Σ u_a² v_b² = [1 3; 8 1], so F = [0.2 0.6; 1.6 0.2].
/// G: A1 = [1 1; 0 0], A2 = [0 1; 2 1], B1 = [0 1; 0 0], B2 = [0 0; 2 0].
/// </summary>
public sealed class HandComputedScoreTests(AcceleratorFixture accelerator) : IClassFixture<AcceleratorFixture>
{
    private const int TokenBudget = 10;

    [Fact]
    public void Diagonal_penalty_with_l2t_credit()
    {
        var scores = Score(new L2TOptions { Rank = 2, FisherDamping = 0 });
        var (a, b) = (scores[0], scores[1]);
        Assert.Equal([1.0, 0.0], [a.OutcomeReward, b.OutcomeReward]);

        // C = Σ F G²: A1 0.2 + 0.6 = 0.8, A2 0.6 + 1.6·4 + 0.2 = 7.2, B1 0.6, B2 6.4; mean 3.75.
        Expect([0.8, 7.2, 0.6, 6.4], [.. a.Episodes.Concat(b.Episodes).Select(e => e.Penalty)]);
        Expect([0.8 / 3.75, 7.2 / 3.75, 0.6 / 3.75, 6.4 / 3.75], [.. a.Episodes.Concat(b.Episodes).Select(e => e.PenaltyNormalized)]);
        // ΔI from J_A = (0.2, 0.5, 0.6), J_B = (0.2, 0.1, 0.4); r^prg = ΔI − 0.6 C̃.
        Expect([0.3, 0.1, -0.1, 0.3], [.. a.Episodes.Concat(b.Episodes).Select(e => e.FitGain)]);
        Expect([0.172, -1.052, -0.196, -0.724], [.. a.Episodes.Concat(b.Episodes).Select(e => e.ProcessReward)]);
        // R = r_out / 2 + 0.8 r^prg.
        Expect([0.6376, -0.3416, -0.1568, -0.5792], [.. a.Episodes.Concat(b.Episodes).Select(e => e.Reward)]);

        // Surprise weights: A (1), (1/4, 3/4) from log-probs −1 | −1, −3; B (1), (1) — the last is uniform, log-prob 0.
        Expect([0.6376, -0.0854, -0.2562], a.TokenRewards);
        Expect([-0.1568, -0.5792], b.TokenRewards);

        // r̃: plain means (floor(0.025·3) = 0 dropped): A 0.296/3, B −0.368; they sit ±0.7/3 from their mean.
        // Scales s (means of |r_t|): A 0.9792/3, B 0.368. A_t = Â r_t / s, all inside ±5.
        double spread = 0.7 / 3, advantage = spread / (spread + 1e-4);
        Expect([.. new[] { 0.6376, -0.0854, -0.2562 }.Select(r => advantage * r / (0.9792 / 3))], a.Advantages);
        Expect([.. new[] { -0.1568, -0.5792 }.Select(r => -advantage * r / 0.368)], b.Advantages);
        Assert.Equal([0, 0], [a.ClippedAdvantages, b.ClippedAdvantages]);
    }

    [Fact]
    public void L2t_token_advantages_are_clipped_at_a_max()
    {
        var scores = Score(new L2TOptions { Rank = 2, FisherDamping = 0, AdvantageClip = 1.5 });
        // Unclipped, as above: A (1.9534, −0.2616, −0.7848), B (0.4260, 1.5735) times Â ≈ 0.99957.
        double spread = 0.7 / 3, advantage = spread / (spread + 1e-4);
        Expect([1.5, advantage * -0.0854 / (0.9792 / 3), advantage * -0.2562 / (0.9792 / 3)], scores[0].Advantages);
        Expect([advantage * 0.1568 / 0.368, 1.5], scores[1].Advantages);
        Assert.Equal([1, 1], [scores[0].ClippedAdvantages, scores[1].ClippedAdvantages]);
    }

    [Fact]
    public void Reward_to_go_adds_the_normalised_process_return_of_each_episode_to_the_outcome_advantage()
    {
        var scores = Score(new L2TOptions { Rank = 2, FisherDamping = 0, Baseline = AdvantageBaseline.L2TRewardToGo });
        // r^prg as above: A (0.172, −1.052), B (−0.196, −0.724). G = 0.8 × suffix sums: A (−0.704, −0.8416), B (−0.736, −0.5792);
        // mean −0.7152, deviations (0.0112, −0.1264, −0.0208, 0.136), population std √0.00875776.
        double std = Math.Sqrt(0.00875776), outcome = 0.5 / (0.5 + 1e-4);
        double[] g = [.. new[] { 0.0112, -0.1264, -0.0208, 0.136 }.Select(d => d / (std + 1e-4))];
        // Credit spans: A [0,1) [1,3), B [0,1) [1,2).
        Expect([outcome + g[0], outcome + g[1], outcome + g[1]], scores[0].Advantages);
        Expect([-outcome + g[2], -outcome + g[3]], scores[1].Advantages);
    }

    [Fact]
    public void Rank1_penalty_raw()
    {
        var scores = Score(new L2TOptions { Rank = 2, Estimator = PenaltyEstimator.Rank1, Normalization = PenaltyNormalization.Raw });
        // ‖G‖_F⁴: A1 2² = 4, A2 6² = 36, B1 1, B2 4² = 16; raw, so C̃ = C.
        double[] penalties = [4, 36, 1, 16];
        var episodes = scores[0].Episodes.Concat(scores[1].Episodes).ToArray();
        Expect(penalties, [.. episodes.Select(e => e.Penalty)]);
        Expect(penalties, [.. episodes.Select(e => e.PenaltyNormalized)]);
        Expect([0.3 - 0.6 * 4, 0.1 - 0.6 * 36, -0.1 - 0.6 * 1, 0.3 - 0.6 * 16], [.. episodes.Select(e => e.ProcessReward)]);
    }

    [Fact]
    public void Grpo_gives_every_token_its_rollouts_outcome_advantage()
    {
        var scores = Score(new L2TOptions { Rank = 2, Baseline = AdvantageBaseline.Grpo });
        // r_out 1 and 0: ±0.5 from the mean, std 0.5.
        var advantage = 0.5 / (0.5 + 1e-4);
        Expect([advantage, advantage, advantage], scores[0].Advantages);
        Expect([-advantage, -advantage], scores[1].Advantages);
    }

    [Fact]
    public void Length_baseline_charges_tokens_against_the_budget()
    {
        var scores = Score(new L2TOptions { Rank = 2, Baseline = AdvantageBaseline.Length });
        // γ = 0.5 (spec §7). A: 1 − 0.5·3/10 = 0.85, B: 0 − 0.5·2/10 = −0.1: ±0.475 from the mean, std 0.475.
        var advantage = 0.475 / (0.475 + 1e-4);
        Expect([advantage, advantage, advantage], scores[0].Advantages);
        Expect([-advantage, -advantage], scores[1].Advantages);
    }

    private IReadOnlyList<RolloutScore> Score(L2TOptions options)
    {
        ScoringInput a = Input("#### 12", [-1, -1, -3], [new(0, 0, 1), new(1, 1, 2)],
            u: [1, 0, 0, 1, 1, 1], v: [1, 1, 2, 0, 0, 1], probes: [0.2, 0.5, 0.6]);
        ScoringInput b = Input("#### 13", [-0.5f, 0], [new(0, 0, 1), new(1, 1, 2)],
            u: [1, 0, 0, 2], v: [0, 1, 1, 0], probes: [0.2, 0.1, 0.4]);
        var scorer = new RolloutScorer(accelerator.Host, options, new AnswerExtractor(AnswerFormat.Hash), TokenBudget);
        return scorer.Score([[a, b]])[0];
    }

    private static ScoringInput Input(string text, float[] logprobs, EpisodeSpan[] episodes, float[] u, float[] v, double[] probes)
    {
        int tokens = logprobs.Length;
        var rollout = new RolloutResult("q", 0, [], new int[tokens], text, FinishReason.Eos, logprobs, logprobs, new float[tokens], episodes,
            FormatOk: true, new StepFeatures(2, u, v));
        return new ScoringInput(rollout, probes, "12");
    }

    private static void Expect(double[] expected, IReadOnlyList<double> actual) => Agreement.Close(expected, actual, "hand-computed", 1e-5);

    private static void Expect(double[] expected, float[] actual) => Expect(expected, [.. actual.Select(x => (double)x)]);
}
