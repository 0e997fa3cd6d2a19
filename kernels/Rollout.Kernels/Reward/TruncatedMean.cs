namespace Rollout.Kernels.Reward;

/// <summary>r̃_i: the mean of a rollout's token rewards after dropping the extremes (spec §5).</summary>
public static class TruncatedMean
{
    /// <summary>How many values a truncated mean drops at each end: floor((1 − keep)/2 · n).</summary>
    public static int DropPerEnd(int count, double keep) => (int)Math.Floor((1 - keep) / 2 * count + 1e-9);

    /// <summary>Sorts, drops <see cref="DropPerEnd"/> values at each end, averages the rest.</summary>
    public static double Compute(ReadOnlySpan<float> values, double keep)
    {
        if (values.IsEmpty) throw new ArgumentException("The truncated mean of no values is undefined.", nameof(values));
        if (!(keep > 0 && keep <= 1)) throw new ArgumentException($"keep must lie in (0, 1] (got {keep}).", nameof(keep));
        var sorted = new double[values.Length];
        for (int i = 0; i < sorted.Length; i++) sorted[i] = values[i];
        Array.Sort(sorted);
        var drop = DropPerEnd(sorted.Length, keep);
        double sum = 0;
        for (int i = drop; i < sorted.Length - drop; i++) sum += sorted[i];
        return sum / (sorted.Length - 2 * drop);
    }
}
