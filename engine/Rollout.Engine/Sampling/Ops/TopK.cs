namespace Rollout.Engine.Sampling.Ops;

internal static class TopK
{
    /// <summary>
    /// Moves the <paramref name="k"/> best candidates (by <see cref="TokenOrder"/>: weight, then lowest id)
    /// to the front, in no particular order, and returns how many that is (min(k, count)).
    /// Quickselect, O(n) expected.
    /// </summary>
    public static int Select(double[] weights, Span<int> candidates, int k)
    {
        if (k >= candidates.Length) return candidates.Length;
        var order = new TokenOrder(weights);
        int lo = 0, hi = candidates.Length - 1, target = k - 1;
        var depthLeft = Partition.DepthLimit(candidates.Length);
        while (lo < hi)
        {
            if (depthLeft-- == 0)
            {
                candidates[lo..(hi + 1)].Sort(order);
                break;
            }
            var p = Partition.Around(candidates, lo, hi, order);
            if (p == target) break;
            if (p > target) hi = p - 1;
            else lo = p + 1;
        }
        return k;
    }
}
