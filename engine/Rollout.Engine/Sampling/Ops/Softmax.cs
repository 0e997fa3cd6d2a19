using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Rollout.Kernels.Runtime;

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
    /// <see cref="Max"/> and <see cref="Weights"/>' log Z, entropy and temperature-1 normaliser, without the weights, for
    /// a choice that draws nothing (greedy, or a given token), reading the row once: a 150k-token row is most of a greedy
    /// step's host work, and a step's rows (9.7 MB for 16) come from memory rather than the caches.
    /// Chunk by chunk (each held in L1 for its two sweeps): the chunk's max, then its terms against that max, rescaled
    /// into running totals when the max rises. The exps run in float32 a vector at a time (<see cref="Exponential"/>, as
    /// the kernels' managed sweeps; ~5× faster than double ones), summed in double; 512-bit vectors, which halve the
    /// sweep's time where AVX-512 is present. Each term is off by ~1e−7 of itself,
    /// which leaves the statistics within float32's resolution of them, the precision they are reported in; they may
    /// differ from Weights' in those last places. Throws as <see cref="Max"/> does, at the first chunk with a NaN or +∞.
    /// </summary>
    public static (float Max, int ArgMax, double LogZ, double Entropy, double RawLogZ) Statistics(ReadOnlySpan<float> logits, double temperature)
    {
        if (logits.IsEmpty) throw new ArgumentException("empty logits row", nameof(logits));
        float max = float.NegativeInfinity;
        int argMax = -1;
        double z = 0, ws = 0, rawZ = 0;
        for (int start = 0; start < logits.Length; start += ChunkLength)
        {
            var chunk = logits.Slice(start, Math.Min(ChunkLength, logits.Length - start));
            // Max is a third of IndexOfMax's cost; where the max is is looked up only when it rises, or to report a NaN.
            float chunkMax = TensorPrimitives.Max(chunk);
            if (float.IsNaN(chunkMax) || float.IsPositiveInfinity(chunkMax))
            {
                int bad = TensorPrimitives.IndexOfMax(chunk); // the first NaN, or the first +∞
                throw new NonFiniteLogitsException(start + bad, chunk[bad]);
            }
            if (float.IsNegativeInfinity(chunkMax)) continue; // masked throughout: no terms
            var (chunkZ, chunkWs, chunkRawZ) = Terms(chunk, chunkMax, temperature);
            // Totals are relative to the running max; the lower of the two maxes is shifted by d = (its max − the higher)/τ,
            // which scales its weights by e^d and adds d to each of its s.
            bool rises = chunkMax > max; // strictly: the first of equal maxima keeps the arg max
            double d = (Math.Min(chunkMax, max) - (double)Math.Max(chunkMax, max)) / temperature;
            double scale = Math.Exp(d), rawScale = temperature == 1.0 ? scale : Math.Exp(Math.Min(chunkMax, max) - (double)Math.Max(chunkMax, max));
            if (rises)
            {
                (ws, z, rawZ) = argMax < 0 ? (0, 0, 0) : (scale * (ws + d * z), scale * z, rawScale * rawZ);
                (z, ws, rawZ) = (z + chunkZ, ws + chunkWs, rawZ + chunkRawZ);
                (max, argMax) = (chunkMax, start + chunk.IndexOf(chunkMax));
            }
            else (z, ws, rawZ) = (z + scale * chunkZ, ws + scale * (chunkWs + d * chunkZ), rawZ + rawScale * chunkRawZ);
        }
        if (argMax < 0) throw new NonFiniteLogitsException(-1, float.NegativeInfinity);
        // Max ranks +0 above −0, so a −0 in an earlier chunk may have lost; torch.argmax ranks them equal.
        if (max == 0) argMax = logits.IndexOf(0f);
        var (logZ, entropy, rawLogZ) = Normalisers(z, ws, rawZ, temperature);
        return (max, argMax, logZ, entropy, rawLogZ);
    }

    /// <summary>Logits per chunk of <see cref="Statistics"/>: 8 KB, a quarter of L1, and a whole number of vectors.</summary>
    private const int ChunkLength = 2048;

    /// <summary>Z = Σ w_i, Σ w_i s_i and Σ exp(ℓ_i − max) of one chunk against its own max, the exps in float32.</summary>
    private static (double Z, double Ws, double RawZ) Terms(ReadOnlySpan<float> logits, float max, double temperature)
    {
        bool tempered = temperature != 1.0;
        var (m, inverse, floor) = (Vector512.Create(max), Vector512.Create((float)(1 / temperature)), Vector512.Create(Exponential.Floor));
        // Two sums of each kind (the vector's low and high halves), so that no add waits on the one before it.
        Vector512<double> zLow = default, zHigh = default, wsLow = default, wsHigh = default, rawLow = default, rawHigh = default;
        var vectors = MemoryMarshal.Cast<float, Vector512<float>>(logits);
        for (int v = 0; v < vectors.Length; v++)
        {
            var shifted = vectors[v] - m;
            // Multiplying by 1 changes nothing and costs a multiply per vector: greedy's policy temperature is 1.
            var s = tempered ? shifted * inverse : shifted;
            var (wLow, wHigh) = Vector512.Widen(Exponential.Of(s));
            // Where w is 0, s may be −∞ (a masked token): w·max(s, floor) keeps its term 0, not NaN.
            var (sLow, sHigh) = Vector512.Widen(Vector512.MaxNative(floor, s));
            (zLow, zHigh) = (zLow + wLow, zHigh + wHigh);
            (wsLow, wsHigh) = (Vector512.FusedMultiplyAdd(wLow, sLow, wsLow), Vector512.FusedMultiplyAdd(wHigh, sHigh, wsHigh));
            if (tempered)
            {
                var (low, high) = Vector512.Widen(Exponential.Of(shifted));
                (rawLow, rawHigh) = (rawLow + low, rawHigh + high);
            }
        }
        var (z, ws, rawZ) = (Vector512.Sum(zLow + zHigh), Vector512.Sum(wsLow + wsHigh), Vector512.Sum(rawLow + rawHigh));
        AddTerms(logits[(vectors.Length * Vector512<float>.Count)..], max, temperature, weights: default, ref z, ref ws, ref rawZ);
        return (z, ws, tempered ? rawZ : z);
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
