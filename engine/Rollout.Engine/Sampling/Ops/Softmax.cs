namespace Rollout.Engine.Sampling.Ops;

/// <summary>
/// softmax(ℓ/τ) of one logits row, kept as unnormalised weights w_i = exp((ℓ_i − max)/τ) ∈ [0, 1]
/// (the top token has weight exactly 1) plus log Z. Sums run in double, after subtracting the max,
/// so nothing overflows and a 150k-token row keeps its log Z accurate far below float precision.
/// </summary>
internal static class Softmax
{
    /// <summary>
    /// The largest logit and where it first occurs (the lowest index on ties, torch.argmax's rule, so a greedy choice
    /// needs no pass of its own); throws on NaN or +∞ (−∞ is a masked token and is fine) and on an all −∞ row.
    /// </summary>
    public static (float Max, int ArgMax) Max(ReadOnlySpan<float> logits)
    {
        var max = float.NegativeInfinity;
        var at = -1;
        for (var i = 0; i < logits.Length; i++)
        {
            var x = logits[i];
            if (float.IsNaN(x) || float.IsPositiveInfinity(x)) throw new NonFiniteLogitsException(i, x);
            if (x > max)
            {
                max = x;
                at = i;
            }
        }
        if (float.IsNegativeInfinity(max)) throw new NonFiniteLogitsException(-1, max);
        return (max, at);
    }

    /// <summary>
    /// Writes the weights of softmax(ℓ/τ) into <paramref name="weights"/> and returns log Z = log Σ w_i, the entropy
    /// −Σ p_i log p_i = log Z − Σ w_i s_i / Z, where s_i = (ℓ_i − max)/τ, and the temperature-1 normaliser
    /// log Σ exp(ℓ_i − max), summed in the same pass (the same terms, in the same order, as <see cref="LogSumExp"/>'s).
    /// </summary>
    public static (double LogZ, double Entropy, double RawLogZ) Weights(ReadOnlySpan<float> logits, float max, double temperature, Span<double> weights)
    {
        var z = 0.0;
        var ws = 0.0;
        var rawZ = 0.0;
        bool tempered = temperature != 1.0;
        for (var i = 0; i < logits.Length; i++)
        {
            var shifted = logits[i] - (double)max;
            var s = shifted / temperature;
            var w = Math.Exp(s);
            weights[i] = w;
            z += w;
            // −∞ logits have w = 0 and s = −∞; their term is 0, not NaN.
            if (w > 0) ws += w * s;
            if (tempered) rawZ += Math.Exp(shifted);
        }
        var logZ = Math.Log(z);
        return (logZ, logZ - ws / z, tempered ? Math.Log(rawZ) : logZ);
    }

    /// <summary>log Σ exp((ℓ_i − max)/τ): the normaliser of softmax(ℓ/τ) relative to max/τ, without writing weights.</summary>
    public static double LogSumExp(ReadOnlySpan<float> logits, float max, double temperature = 1)
    {
        var z = 0.0;
        foreach (var x in logits) z += Math.Exp((x - (double)max) / temperature);
        return Math.Log(z);
    }

    /// <summary>log softmax(ℓ/τ) of one token.</summary>
    public static double LogProbability(ReadOnlySpan<float> logits, int token, double temperature)
    {
        var max = System.Numerics.Tensors.TensorPrimitives.Max(logits);
        return (logits[token] - (double)max) / temperature - LogSumExp(logits, max, temperature);
    }
}
