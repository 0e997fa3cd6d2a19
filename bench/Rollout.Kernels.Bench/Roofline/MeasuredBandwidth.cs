using Rollout.Kernels.Runtime;

namespace Rollout.Kernels.Bench.Roofline;

/// <summary>The streams measured for each backend of the run, and the roof each backend's kernels are held against.</summary>
public sealed class MeasuredBandwidth(IReadOnlyDictionary<AcceleratorKind, IReadOnlyList<StreamRate>> rates)
{
    public IReadOnlyDictionary<AcceleratorKind, IReadOnlyList<StreamRate>> Rates { get; } = rates;

    public static MeasuredBandwidth Measure(IEnumerable<AcceleratorKind> backends) =>
        new(backends.ToDictionary(kind => kind, MemoryBandwidth.Measure));

    /// <summary>The fastest stream measured for the backend (GB/s): the most this machine was seen to move.</summary>
    public double Peak(AcceleratorKind backend) => Rates[backend].Max(rate => rate.GigabytesPerSecond);
}
