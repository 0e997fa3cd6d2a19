namespace Rollout.Kernels.Bench.Roofline;

/// <summary>
/// The bytes a benchmark's op must move at the least: each input read once and each output written once (an in-place
/// array counts twice). The argument is the formula, written beside the benchmark in <see cref="Sizes"/>' constants.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class TrafficAttribute(long bytes) : Attribute
{
    public long Bytes { get; } = bytes;
}
