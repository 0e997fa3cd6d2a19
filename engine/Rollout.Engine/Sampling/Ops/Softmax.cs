using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

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
        // Vectorised; it returns the first NaN where there is one, and the first of equal maxima.
        int at = TensorPrimitives.IndexOfMax(logits);
        float max = logits[at];
        if (float.IsNaN(max) || float.IsPositiveInfinity(max)) throw new NonFiniteLogitsException(at, max);
        if (float.IsNegativeInfinity(max)) throw new NonFiniteLogitsException(-1, max);
        // It ranks +0 above −0; torch.argmax does not.
        if (max == 0) at = logits.IndexOf(0f);
        return (max, at);
    }

    /// <summary>
    /// Writes the weights of softmax(ℓ/τ) into <paramref name="weights"/> and returns log Z = log Σ w_i, the entropy
    /// −Σ p_i log p_i = log Z − Σ w_i s_i / Z, where s_i = (ℓ_i − max)/τ, and the temperature-1 normaliser
    /// log Σ exp(ℓ_i − max), summed in the same pass (the same terms, in the same order, as <see cref="LogSumExp"/>'s).
    /// One term at a time, with <see cref="Math.Exp"/>, as the sampling kernels' float64 reference computes the weights
    /// a draw walks: a top-p cut can fall on a tie, where one unit in the last place decides.
    /// </summary>
    public static (double LogZ, double Entropy, double RawLogZ) Weights(ReadOnlySpan<float> logits, float max, double temperature, Span<double> weights)
    {
        double z = 0, ws = 0, rawZ = 0;
        AddTerms(logits, max, temperature, weights, ref z, ref ws, ref rawZ);
        return Normalisers(z, ws, rawZ, temperature);
    }

    /// <summary>
    /// <see cref="Weights"/>' log Z, entropy and temperature-1 normaliser without the weights, for a choice that draws
    /// nothing (greedy, or a given token): in double still, but a vector of terms at a time, since a 150k-token row's
    /// exps are most of a greedy step's host work. The sums round in another order, so they may differ from Weights'
    /// in the last places.
    /// </summary>
    public static (double LogZ, double Entropy, double RawLogZ) Statistics(ReadOnlySpan<float> logits, float max, double temperature)
    {
        bool tempered = temperature != 1.0;
        var (m, t) = (new Vector<double>(max), new Vector<double>(temperature));
        Vector<double> zv = default, wsv = default, rawv = default;
        var vectors = MemoryMarshal.Cast<float, Vector<float>>(logits);
        for (int v = 0; v < vectors.Length; v++)
        {
            Vector.Widen(vectors[v], out var low, out var high);
            for (int half = 0; half < 2; half++)
            {
                var shifted = (half == 0 ? low : high) - m;
                // Dividing by 1 changes nothing and costs a division per vector: greedy's policy temperature is 1.
                var s = tempered ? shifted / t : shifted;
                var w = Vector.Exp(s);
                zv += w;
                wsv += Vector.ConditionalSelect(Vector.GreaterThan(w, Vector<double>.Zero), w * s, Vector<double>.Zero);
                if (tempered) rawv += Vector.Exp(shifted);
            }
        }
        var (z, ws, rawZ) = (Vector.Sum(zv), Vector.Sum(wsv), Vector.Sum(rawv));
        AddTerms(logits[(vectors.Length * Vector<float>.Count)..], max, temperature, weights: default, ref z, ref ws, ref rawZ);
        return Normalisers(z, ws, rawZ, temperature);
    }

    /// <summary>Adds the terms of <paramref name="logits"/> to Z = Σ w_i, Σ w_i s_i and Σ exp(ℓ_i − max), one at a time, writing each w_i unless <paramref name="weights"/> is empty.</summary>
    private static void AddTerms(ReadOnlySpan<float> logits, float max, double temperature, Span<double> weights, ref double z, ref double ws, ref double rawZ)
    {
        bool tempered = temperature != 1.0;
        for (var i = 0; i < logits.Length; i++)
        {
            var shifted = logits[i] - (double)max;
            var s = shifted / temperature;
            var w = Math.Exp(s);
            if (!weights.IsEmpty) weights[i] = w;
            z += w;
            // −∞ logits have w = 0 and s = −∞; their term is 0, not NaN.
            if (w > 0) ws += w * s;
            if (tempered) rawZ += Math.Exp(shifted);
        }
    }

    /// <summary>log Z, the entropy log Z − Σ w_i s_i / Z, and the temperature-1 normaliser (log Z itself at τ = 1).</summary>
    private static (double LogZ, double Entropy, double RawLogZ) Normalisers(double z, double ws, double rawZ, double temperature)
    {
        var logZ = Math.Log(z);
        return (logZ, logZ - ws / z, temperature != 1.0 ? Math.Log(rawZ) : logZ);
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
        var max = TensorPrimitives.Max(logits);
        return (logits[token] - (double)max) / temperature - LogSumExp(logits, max, temperature);
    }
}
