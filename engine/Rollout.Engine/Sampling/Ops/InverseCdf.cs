namespace Rollout.Engine.Sampling.Ops;

/// <summary>
/// One draw from a distribution given by unnormalised weights: the first token (in the order given)
/// among <c>ids</c> whose cumulative weight exceeds u·total. Zero-weight tokens are never returned.
/// </summary>
internal static class InverseCdf
{
    public static int Draw(ReadOnlySpan<double> weights, ReadOnlySpan<int> ids, double u)
    {
        var total = 0.0;
        foreach (var id in ids) total += weights[id];
        var target = u * total;
        var cum = 0.0;
        var last = -1;
        foreach (var id in ids)
        {
            if (weights[id] <= 0) continue;
            cum += weights[id];
            last = id;
            if (cum > target) return id;
        }
        return last; // rounding left the target just above the sum: the last positive token
    }
}
