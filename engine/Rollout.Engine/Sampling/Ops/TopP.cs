namespace Rollout.Engine.Sampling.Ops;

internal static class TopP
{
    /// <summary>
    /// Keeps the smallest set of best candidates (by <see cref="TokenOrder"/>) whose weight reaches
    /// <paramref name="p"/> of the candidates' total, at least one: moves it to the front, in no particular
    /// order, and returns its size. Same set as HF's TopPLogitsWarper / vLLM's top-p over the candidates'
    /// renormalised probabilities. A quickselect on cumulative weight, O(n) expected, so a flat 150k-token
    /// row (where the set is large) costs no sort.
    /// </summary>
    public static int Select(double[] weights, Span<int> candidates, double p)
    {
        var total = 0.0;
        foreach (var c in candidates) total += weights[c];
        var need = p * total;

        var order = new TokenOrder(weights);
        // Invariant: candidates[..lo] are kept and weigh `kept` < need; the set's last member is in [lo, hi].
        int lo = 0, hi = candidates.Length - 1;
        var kept = 0.0;
        var depthLeft = Partition.DepthLimit(candidates.Length);
        while (lo <= hi)
        {
            if (depthLeft-- == 0) return SortAndWalk(weights, candidates, lo, hi, kept, need, order);
            var q = Partition.Around(candidates, lo, hi, order);
            var better = 0.0;
            for (var i = lo; i < q; i++) better += weights[candidates[i]];
            if (kept + better >= need)
            {
                hi = q - 1;
                continue;
            }
            kept += better + weights[candidates[q]];
            if (kept >= need) return q + 1;
            lo = q + 1;
        }
        return lo; // only reached through rounding: everything was needed
    }

    private static int SortAndWalk(double[] weights, Span<int> candidates, int lo, int hi, double kept, double need, TokenOrder order)
    {
        candidates[lo..(hi + 1)].Sort(order);
        for (var i = lo; i <= hi; i++)
        {
            kept += weights[candidates[i]];
            if (kept >= need) return i + 1;
        }
        return hi + 1;
    }
}
