using Rollout.Engine.Sampling;
using Rollout.Engine.Sampling.Ops;

namespace Rollout.Engine.Tests.Sampling.Ops;

/// <summary>The vectorised softmax statistics (greedy and given tokens) and arg max, against plain float64 loops written here.</summary>
public class SoftmaxTests
{
    [Theory]
    [InlineData(1.0, 151_936)]
    [InlineData(0.7, 151_936)]
    [InlineData(1.3, 13)] // shorter than two vectors: the scalar tail alone
    public void Statistics_are_the_float64_log_normaliser_and_entropy(double temperature, int vocab)
    {
        var random = new Random(7);
        var logits = Enumerable.Range(0, vocab).Select(i => i % 1000 == 3 ? float.NegativeInfinity : (float)(random.NextDouble() * 30 - 20)).ToArray();
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

        var (logZ, actualEntropy, rawLogZ) = Softmax.Statistics(logits, max, temperature);
        Assert.Equal(Math.Log(z), logZ, 1e-12);
        Assert.Equal(entropy, actualEntropy, 1e-9);
        Assert.Equal(Math.Log(raw), rawLogZ, 1e-12);
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
