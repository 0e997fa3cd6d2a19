using System.Globalization;

namespace Rollout.Kernels.Bench.Roofline;

/// <summary>How the result table and the results file print the roofline's figures, so both agree.</summary>
public static class Format
{
    public static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 30 => Invariant($"{bytes / (double)(1L << 30):F2} GiB"),
        >= 1L << 20 => Invariant($"{bytes / (double)(1L << 20):F2} MiB"),
        >= 1L << 10 => Invariant($"{bytes / (double)(1L << 10):F1} KiB"),
        _ => Invariant($"{bytes} B"),
    };

    public static string Rate(double gigabytesPerSecond) => Invariant($"{gigabytesPerSecond:F2}");

    /// <summary>A percentage; below 1% with two decimals, so an op far under the roof does not read as 0.0%.</summary>
    public static string Share(double share) => share < 0.01 ? Invariant($"{100 * share:F2}%") : Invariant($"{100 * share:F1}%");

    public static string Stream(StreamRate rate) => Invariant($"{rate.Name} {Rate(rate.GigabytesPerSecond)} GB/s (best of {rate.Trials})");

    public static string Milliseconds(double milliseconds) => Invariant($"{milliseconds:F3}");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
