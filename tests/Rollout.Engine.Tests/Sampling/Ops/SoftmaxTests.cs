using Rollout.Engine.Sampling;
using Rollout.Engine.Sampling.Ops;

namespace Rollout.Engine.Tests.Sampling.Ops;

/// <summary>The one-read softmax statistics (greedy and given tokens) and arg max, against plain float64 loops written here.</summary>
public class SoftmaxTests
{
    public enum Layout { Random, Rising, Falling, MaskedChunks }

    [Theory]
    [InlineData(1.0, 151_936, Layout.Random)]
    [InlineData(0.7, 151_936, Layout.Random)]
    [InlineData(1.0, 151_936, Layout.Rising)] // the max rises chunk after chunk: totals rescaled each time
    [InlineData(0.7, 20_000, Layout.Falling)] // the first chunk holds the max: later chunks scaled down
    [InlineData(1.3, 20_000, Layout.MaskedChunks)] // whole chunks of −∞, the first among them
    [InlineData(1.3, 13, Layout.Random)] // shorter than two vectors: the scalar tail alone
    public void Statistics_are_the_float64_max_log_normaliser_and_entropy(double temperature, int vocab, Layout layout)
    {
        var random = new Random(7);
        var logits = Enumerable.Range(0, vocab).Select(i => layout switch
        {
            Layout.Rising => (float)(i * 1e-3 + random.NextDouble()),
            Layout.Falling => (float)(-i * 1e-3 + random.NextDouble()),
            Layout.MaskedChunks when i < 3000 || (i >= 9000 && i < 12_000) => float.NegativeInfinity,
            _ => i % 1000 == 3 ? float.NegativeInfinity : (float)(random.NextDouble() * 30 - 20),
        }).ToArray();
        float max = logits.Max();

        // p_i = exp(s_i) / Z, s_i = (ℓ_i − max)/τ; entropy −Σ p log p over the finite logits; raw: τ = 1.
        double z = 0, raw = 0;
        foreach (var l in logits) { z += Math.Exp((l - (double)max) / temperature); raw += Math.Exp(l - (double)max); }
        double entropy = 0;
        foreach (var l in logits.Where(float.IsFinite))
        {
            double logP = (l - (double)max) / temperature - Math.Log(z);
            entropy -= Math.Exp(logP) * logP;
        }

        var actual = Softmax.Statistics(logits, temperature);
        Assert.Equal(max, actual.Max);
        Assert.Equal(Array.IndexOf(logits, max), actual.ArgMax);
        // The exps run in float32: within float32's resolution of the values (|log Z| ≲ 12 here, whose ulp is ~1e−6).
        Assert.Equal(Math.Log(z), actual.LogZ, 1e-7);
        Assert.Equal(entropy, actual.Entropy, 1e-7);
        Assert.Equal(Math.Log(raw), actual.RawLogZ, 1e-7);
    }

    [Fact]
    public void Statistics_find_the_arg_max_and_the_bad_logits_as_max_does_across_chunks()
    {
        // Equal maxima in different chunks, and ±0 maxima: the first, as torch.argmax.
        var ties = new float[10_000];
        Array.Fill(ties, -1f);
        (ties[7000], ties[3000], ties[9000]) = (4f, 4f, 4f);
        Assert.Equal((4f, 3000), (Softmax.Statistics(ties, 1).Max, Softmax.Statistics(ties, 1).ArgMax));
        Array.Fill(ties, -1f);
        (ties[2500], ties[6000]) = (-0f, 0f);
        Assert.Equal(2500, Softmax.Statistics(ties, 1).ArgMax);

        var bad = Enumerable.Repeat(1f, 10_000).ToArray();
        bad[5000] = float.NaN;
        Assert.Equal(5000, Assert.Throws<NonFiniteLogitsException>(() => Softmax.Statistics(bad, 1)).TokenId);
        bad[5000] = float.PositiveInfinity;
        Assert.Equal(5000, Assert.Throws<NonFiniteLogitsException>(() => Softmax.Statistics(bad, 1)).TokenId);
        Assert.Equal(-1, Assert.Throws<NonFiniteLogitsException>(() => Softmax.Statistics(Enumerable.Repeat(float.NegativeInfinity, 5000).ToArray(), 1)).TokenId);
    }

    [Fact]
    public void Max_is_the_first_of_equal_maxima_and_refuses_nan_and_infinity()
    {
        float[] ties = [1f, 3f, -2f, 3f, 3f];
        Assert.Equal((3f, 1), Softmax.Max(ties));
        // +0 and −0 are equal maxima, as for torch.argmax: the first wins.
        Assert.Equal(1, Softmax.Max([-1f, -0f, 0f]).ArgMax);
        Assert.Equal(10_000, Softmax.Max(Enumerable.Range(0, 20_000).Select(i => i == 10_000 || i == 15_000 ? 5f : i % 5).ToArray()).ArgMax);
        Assert.Throws<NonFiniteLogitsException>(() => Softmax.Max([1f, float.NaN, 2f]));
        Assert.Throws<NonFiniteLogitsException>(() => Softmax.Max([1f, float.PositiveInfinity]));
        Assert.Throws<NonFiniteLogitsException>(() => Softmax.Max([float.NegativeInfinity, float.NegativeInfinity]));
    }
}
