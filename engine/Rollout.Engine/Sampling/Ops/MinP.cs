namespace Rollout.Engine.Sampling.Ops;

internal static class MinP
{
    /// <summary>
    /// Keeps the candidates whose weight is at least <paramref name="minP"/> times the largest
    /// candidate weight, compacted to the front in their original order; returns how many.
    /// The ratio to the maximum does not change under renormalisation, so applying it after
    /// top-k/top-p (HF's order) is the same as applying it to the full distribution and intersecting.
    /// </summary>
    public static int Select(double[] weights, Span<int> candidates, double minP)
    {
        var max = 0.0;
        foreach (var c in candidates) max = Math.Max(max, weights[c]);
        var threshold = minP * max;
        var n = 0;
        foreach (var c in candidates)
            if (weights[c] >= threshold) candidates[n++] = c;
        return n;
    }
}
