namespace Rollout.Engine.Tests.Sampling;

/// <summary>
/// A plain float64 model of the sampling pipeline, written from HF's warpers (TemperatureLogitsWarper,
/// TopKLogitsWarper, TopPLogitsWarper, MinPLogitsWarper) with a full sort, independent of the engine's ops.
/// </summary>
internal static class ReferenceSampling
{
    public static double[] Softmax(float[] logits, double temperature)
    {
        var max = double.NegativeInfinity;
        foreach (var x in logits) max = Math.Max(max, x / temperature);
        var p = new double[logits.Length];
        var z = 0.0;
        for (var i = 0; i < p.Length; i++) z += p[i] = Math.Exp(logits[i] / temperature - max);
        for (var i = 0; i < p.Length; i++) p[i] /= z;
        return p;
    }

    public static double LogProb(float[] logits, double temperature, int token) => Math.Log(Softmax(logits, temperature)[token]);

    public static double Entropy(float[] logits, double temperature)
    {
        var h = 0.0;
        foreach (var q in Softmax(logits, temperature))
            if (q > 0) h -= q * Math.Log(q);
        return h;
    }

    /// <summary>Ids by probability, highest first, ties by lower id.</summary>
    public static int[] Ranked(double[] probs) =>
        Enumerable.Range(0, probs.Length).OrderByDescending(i => probs[i]).ThenBy(i => i).ToArray();

    /// <summary>Which tokens survive top-k → top-p → min-p, each stage on the renormalised survivors of the previous one.</summary>
    public static bool[] Kept(double[] probs, int topK, double topP, double minP)
    {
        var ranked = Ranked(probs);
        var kept = new bool[probs.Length];
        var k = topK > 0 ? Math.Min(topK, probs.Length) : probs.Length;
        for (var r = 0; r < k; r++) kept[ranked[r]] = true;

        if (topP < 1)
        {
            // HF: ascending sort, drop tokens whose cumulative (renormalised) probability is <= 1 - p; the top one stays.
            var survivors = ranked.Where(i => kept[i]).Reverse().ToArray();
            var z = survivors.Sum(i => probs[i]);
            var cum = 0.0;
            foreach (var i in survivors[..^1])
            {
                cum += probs[i] / z;
                if (cum <= 1 - topP) kept[i] = false;
            }
        }

        if (minP > 0)
        {
            var top = probs[ranked[0]];
            for (var i = 0; i < probs.Length; i++)
                if (probs[i] < minP * top) kept[i] = false;
        }
        return kept;
    }

    /// <summary>The truncated distribution renormalised (0 for dropped tokens).</summary>
    public static double[] Renormalised(double[] probs, bool[] kept)
    {
        var z = Enumerable.Range(0, probs.Length).Where(i => kept[i]).Sum(i => probs[i]);
        return probs.Select((q, i) => kept[i] ? q / z : 0).ToArray();
    }
}
