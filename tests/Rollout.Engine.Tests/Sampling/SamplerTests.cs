using Rollout.Engine.Sampling;
using Rollout.Kernels.Sampling;

namespace Rollout.Engine.Tests.Sampling;

public class SamplerTests
{
    private static float[] RandomLogits(int vocab, double scale, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, vocab).Select(_ => (float)(scale * (random.NextDouble() * 2 - 1))).ToArray();
    }

    private static int[] Counts(float[] logits, SamplingParams p, int draws)
    {
        var sampler = new Sampler();
        var rng = new SampleRng(7, "chi-square", 0);
        var counts = new int[logits.Length];
        for (var i = 0; i < draws; i++) counts[sampler.Sample(logits, p, rng).TokenId]++;
        return counts;
    }

    [Theory]
    [InlineData(0, 1.0, 0.0)]
    [InlineData(5, 1.0, 0.0)]
    [InlineData(0, 0.8, 0.0)]
    [InlineData(0, 1.0, 0.05)]
    [InlineData(40, 0.9, 0.01)]
    public void Draws_the_token_the_sampling_kernels_reference_draws_with_the_same_uniform(int topK, double topP, double minP)
    {
        // The sampler's quickselects against the kernels' plain sort-and-walk (TokenSampling.Reference), which a
        // device run is checked against: one semantics on host and device. Coarse logits give ties to break by id.
        var sampler = new Sampler();
        var p = new SamplingParams { Temperature = 0.7, TopK = topK, TopP = topP, MinP = minP };
        var settings = SamplingSettings.Sample(p.Temperature, topK, topP, minP);
        for (int row = 0; row < 300; row++)
        {
            var logits = RandomLogits(97, 6, seed: row).Select(l => row % 2 == 0 ? l : MathF.Round(l)).ToArray();
            var rng = new SampleRng(3, "parity", row);
            var u = new SampleRng(3, "parity", row).NextDouble();
            Assert.Equal(TokenSampling.Reference(logits, settings, u), sampler.Sample(logits, p, rng).TokenId);
        }
    }

    [Fact]
    public void Frequencies_match_the_tempered_softmax()
    {
        float[] logits = [1.0f, 0.2f, -0.5f, 2.0f, 0.0f, -1.5f, 1.4f, 0.7f];
        var p = new SamplingParams { Temperature = 0.8 };
        var counts = Counts(logits, p, 40_000);
        var chi2 = ChiSquare.Statistic(counts, ReferenceSampling.Softmax(logits, 0.8));
        Assert.True(chi2 < ChiSquare.Critical001(logits.Length - 1), $"chi2 = {chi2}");
    }

    [Theory]
    [InlineData(4, 1.0, 0.0)]
    [InlineData(0, 0.7, 0.0)]
    [InlineData(0, 1.0, 0.3)]
    [InlineData(6, 0.8, 0.3)]
    public void Truncated_frequencies_match_the_renormalised_survivors_and_dropped_tokens_never_appear(int topK, double topP, double minP)
    {
        float[] logits = [1.0f, 0.2f, -0.5f, 2.0f, 0.0f, -1.5f, 1.4f, 0.7f, 1.1f, -3.0f];
        var p = new SamplingParams { Temperature = 1.2, TopK = topK, TopP = topP, MinP = minP };
        var probs = ReferenceSampling.Softmax(logits, 1.2);
        var kept = ReferenceSampling.Kept(probs, topK, topP, minP);
        var keptCount = kept.Count(k => k);
        Assert.InRange(keptCount, 3, logits.Length - 3); // the case truncates, and leaves something to test

        var counts = Counts(logits, p, 30_000);
        for (var i = 0; i < logits.Length; i++)
            if (!kept[i]) Assert.Equal(0, counts[i]);
        var chi2 = ChiSquare.Statistic(counts, ReferenceSampling.Renormalised(probs, kept));
        Assert.True(chi2 < ChiSquare.Critical001(keptCount - 1), $"chi2 = {chi2}");
    }

    [Theory]
    [InlineData(1.0, 0, 1.0, 0.0)]
    [InlineData(0.7, 50, 0.9, 0.0)]
    [InlineData(1.3, 0, 0.95, 0.05)]
    public void Logprobs_and_entropy_match_the_float64_reference(double temperature, int topK, double topP, double minP)
    {
        var logits = RandomLogits(5000, 8, seed: 3);
        logits[17] = float.NegativeInfinity; // a masked token is fine
        var p = new SamplingParams { Temperature = temperature, TopK = topK, TopP = topP, MinP = minP };
        var sampler = new Sampler();
        var rng = new SampleRng(1, "logprobs", 0);
        var entropy = ReferenceSampling.Entropy(logits, temperature);
        for (var i = 0; i < 20; i++)
        {
            var c = sampler.Sample(logits, p, rng);
            Assert.Equal(ReferenceSampling.LogProb(logits, temperature, c.TokenId), c.Logprob, 1e-5);
            Assert.Equal(ReferenceSampling.LogProb(logits, 1.0, c.TokenId), c.RawLogprob, 1e-5);
            Assert.Equal(entropy, c.Entropy, 1e-5);
        }
    }

    [Fact]
    public void Greedy_takes_the_lowest_id_among_tied_maxima_and_reports_temperature_one()
    {
        float[] logits = [0.5f, 3.0f, -1.0f, 3.0f];
        var c = new Sampler().Sample(logits, new SamplingParams { Greedy = true, Temperature = 0.3 }, new SampleRng(0, "g", 0));
        Assert.Equal(1, c.TokenId);
        Assert.Equal(ReferenceSampling.LogProb(logits, 1.0, 1), c.Logprob, 1e-6);
        Assert.Equal(c.RawLogprob, c.Logprob);
        Assert.Equal(ReferenceSampling.Entropy(logits, 1.0), c.Entropy, 1e-6);
    }

    [Fact]
    public void Top_k_one_equals_greedy()
    {
        var sampler = new Sampler();
        for (var seed = 0; seed < 20; seed++)
        {
            var logits = RandomLogits(1000, 5, seed);
            var expected = ReferenceSampling.Ranked(ReferenceSampling.Softmax(logits, 1.0))[0];
            var c = sampler.Sample(logits, new SamplingParams { TopK = 1, Temperature = 2.0 }, new SampleRng(9, "k1", seed));
            Assert.Equal(expected, c.TokenId);
        }
    }

    [Fact]
    public void Same_seed_prompt_and_sample_give_the_same_tokens()
    {
        var logits = RandomLogits(300, 3, seed: 5);
        var p = new SamplingParams { TopP = 0.9 };
        int[] Run(int sample)
        {
            var sampler = new Sampler();
            var rng = new SampleRng(42, "prompt-a", sample);
            return Enumerable.Range(0, 50).Select(_ => sampler.Sample(logits, p, rng).TokenId).ToArray();
        }
        Assert.Equal(Run(0), Run(0));
        Assert.NotEqual(Run(0), Run(1));
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void Nan_or_positive_infinity_throws(float bad)
    {
        float[] logits = [0f, 1f, bad, 2f];
        var e = Assert.Throws<NonFiniteLogitsException>(() => new Sampler().Sample(logits, new SamplingParams(), new SampleRng(0, "x", 0)));
        Assert.Equal(2, e.TokenId);
    }

    [Fact]
    public void All_negative_infinity_throws()
    {
        float[] logits = [float.NegativeInfinity, float.NegativeInfinity];
        var e = Assert.Throws<NonFiniteLogitsException>(() => new Sampler().Sample(logits, new SamplingParams(), new SampleRng(0, "x", 0)));
        Assert.Equal(-1, e.TokenId);
    }

    [Fact]
    public void Masked_tokens_are_never_drawn()
    {
        float[] logits = [float.NegativeInfinity, 0f, float.NegativeInfinity, 0.5f, float.NegativeInfinity];
        var counts = Counts(logits, new SamplingParams { TopK = 4 }, 2000);
        Assert.Equal(0, counts[0] + counts[2] + counts[4]);
    }
}

public class SamplerPenaltyAndTopLogprobTests
{
    /// <summary>
    /// Logits [3, 2.9, 1, −1, 0.5], repetition 2 and presence 0.5: token 0 once in the output, 3 / 2 − 0.5 = 1; token 3 in
    /// the prompt, −1 · 2 = −2; token 4 suppressed. The penalised row [1, 2.9, 1, −2, −∞] is what the draw, greedy
    /// and every statistic see: the same choice as sampling that row with no penalties, from the same stream.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_penalised_row_samples_and_reports_as_the_hand_penalised_row_does(bool greedy)
    {
        float[] logits = [3, 2.9f, 1, -1, 0.5f];
        float[] penalised = [1, 2.9f, 1, -2, float.NegativeInfinity];
        TokenPenalty[] history = [new(0, 1, inPrompt: false), new(3, 0, inPrompt: true), new(4, 0, inPrompt: false, suppressed: true)];
        var p = new SamplingParams { Greedy = greedy, Temperature = 0.9, RepetitionPenalty = 2, PresencePenalty = 0.5 };
        var plain = p with { RepetitionPenalty = 1, PresencePenalty = 0 };
        var sampler = new Sampler();
        for (int draw = 0; draw < 50; draw++)
        {
            var c = sampler.Sample(logits, p, new SampleRng(5, "pen", draw), history, topLogprobs: 2);
            var expected = sampler.Sample(penalised, plain, new SampleRng(5, "pen", draw), default, topLogprobs: 2);
            Assert.Equal(expected with { TopLogprobs = null }, c with { TopLogprobs = null });
            Assert.Equal(expected.TopLogprobs, c.TopLogprobs);
            Assert.NotEqual(4, c.TokenId);
            Assert.Equal(ReferenceSampling.LogProb(penalised, p.PolicyTemperature, c.TokenId), c.Logprob, 1e-6);
            if (greedy) Assert.Equal(1, c.TokenId); // 3 would win unpenalised
        }
        Assert.Equal([3, 2.9f, 1, -1, 0.5f], logits); // the caller's row is left alone
    }

    [Theory]
    [InlineData(1.0, 5)]
    [InlineData(0.7, 20)]
    public void Top_logprobs_are_the_most_likely_tokens_of_the_reported_policy_sorted_and_agree_with_the_token(double temperature, int k)
    {
        var random = new Random(4);
        var logits = Enumerable.Range(0, 500).Select(_ => (float)Math.Round(random.NextDouble() * 12 - 6, 1)).ToArray(); // ties too
        var p = new SamplingParams { Temperature = temperature, TopP = 0.9 };
        var ranked = ReferenceSampling.Ranked(ReferenceSampling.Softmax(logits, temperature));
        var sampler = new Sampler();
        for (int draw = 0; draw < 30; draw++)
        {
            var c = sampler.Sample(logits, p, new SampleRng(1, "top", draw), default, topLogprobs: k);
            var top = c.TopLogprobs!;
            Assert.Equal(ranked[..k], top.Select(a => a.TokenId));
            foreach (var a in top) Assert.Equal(ReferenceSampling.LogProb(logits, temperature, a.TokenId), a.Logprob, 1e-5);
            Assert.True(top.Zip(top.Skip(1)).All(pair => pair.First.Logprob >= pair.Second.Logprob));
            if (top.Any(a => a.TokenId == c.TokenId)) Assert.Equal(c.Logprob, top.Single(a => a.TokenId == c.TokenId).Logprob);
            else Assert.True(c.Logprob <= top[^1].Logprob);

            var evaluated = sampler.Evaluate(logits, p, ranked[0], topLogprobs: k);
            Assert.Equal(top, evaluated.TopLogprobs!);
            Assert.Equal(top[0].Logprob, evaluated.Logprob);
        }
        Assert.Null(sampler.Sample(logits, p, new SampleRng(1, "top", 0)).TopLogprobs);
    }
}
