namespace Rollout.Kernels.Runtime;

/// <summary>
/// A run of indices <c>[Start, Start + Length)</c>: the tokens of an episode or a rollout in a flat token array,
/// or the episodes of a scope in the episode list.
/// </summary>
public readonly record struct IndexRange(int Start, int Length)
{
    public int End => Start + Length;

    /// <summary>Checks that there is at least one range and that each is non-empty and inside <c>[0, count)</c>.</summary>
    /// <exception cref="ArgumentException">No ranges, an empty range, or one out of bounds.</exception>
    public static void Validate(ReadOnlySpan<IndexRange> ranges, int count, string what)
    {
        if (ranges.IsEmpty) throw new ArgumentException($"No {what} given.");
        for (int i = 0; i < ranges.Length; i++)
        {
            var r = ranges[i];
            if (r.Length <= 0)
                throw new ArgumentException($"{what} {i} is empty (start {r.Start}, length {r.Length}).");
            if (r.Start < 0 || r.End > count)
                throw new ArgumentException($"{what} {i} [{r.Start}, {r.End}) lies outside [0, {count}).");
        }
    }

    /// <summary>Checks that the ranges are non-empty and cover <c>[0, count)</c> in order, each index exactly once.</summary>
    public static void ValidateTiling(ReadOnlySpan<IndexRange> ranges, int count, string what)
    {
        Validate(ranges, count, what);
        int next = 0;
        for (int i = 0; i < ranges.Length; i++)
        {
            if (ranges[i].Start != next)
                throw new ArgumentException($"{what} {i} starts at {ranges[i].Start}; expected {next} (the {what} must tile [0, {count}) in order).");
            next = ranges[i].End;
        }
        if (next != count)
            throw new ArgumentException($"The {what} end at {next}; expected them to cover all {count}.");
    }
}
