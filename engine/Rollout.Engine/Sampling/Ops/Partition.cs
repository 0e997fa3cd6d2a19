namespace Rollout.Engine.Sampling.Ops;

/// <summary>The partition step of the quickselects in <see cref="TopK"/> and <see cref="TopP"/>.</summary>
internal static class Partition
{
    /// <summary>
    /// Lomuto partition of c[lo..hi] around the median of c[lo], c[mid], c[hi]: afterwards the pivot sits
    /// at the returned index, everything before it (within the range) comes before it in
    /// <paramref name="order"/>, everything after it comes after.
    /// </summary>
    public static int Around(Span<int> c, int lo, int hi, TokenOrder order)
    {
        var mid = lo + (hi - lo) / 2;
        if (order.Before(c[mid], c[lo])) (c[mid], c[lo]) = (c[lo], c[mid]);
        if (order.Before(c[hi], c[lo])) (c[hi], c[lo]) = (c[lo], c[hi]);
        if (order.Before(c[mid], c[hi])) (c[mid], c[hi]) = (c[hi], c[mid]);
        var pivot = c[hi];
        var store = lo;
        for (var i = lo; i < hi; i++)
            if (order.Before(c[i], pivot)) { (c[i], c[store]) = (c[store], c[i]); store++; }
        (c[store], c[hi]) = (c[hi], c[store]);
        return store;
    }

    /// <summary>Rounds of partitioning after which the input is taken as adversarial and the range is sorted instead.</summary>
    public static int DepthLimit(int length) => 2 * (int)Math.Log2(Math.Max(length, 1)) + 4;
}
