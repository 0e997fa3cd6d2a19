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
