using System.Reflection;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Rollout.Kernels.Runtime;

namespace Rollout.Kernels.Bench.Roofline;

/// <summary>
/// One benchmark's place under the roof: its median time per call, its compulsory bytes (<see cref="TrafficAttribute"/>),
/// the GB/s that makes, and that as a share of its backend's measured bandwidth. The median, not the mean: other jobs
/// on a shared machine stretch some iterations.
/// </summary>
public sealed record RooflinePoint(string Kernel, AcceleratorKind Backend, double Milliseconds, long Bytes, double GigabytesPerSecond,
    double ShareOfPeak)
{
    /// <summary>The benchmark's point, or null when it has no result (it failed) or declares no traffic.</summary>
    public static RooflinePoint? Of(Summary summary, BenchmarkCase benchmark, MeasuredBandwidth bandwidth)
    {
        var traffic = benchmark.Descriptor.WorkloadMethod.GetCustomAttribute<TrafficAttribute>();
        var statistics = summary[benchmark]?.ResultStatistics;
        if (traffic is null || statistics is null) return null;
        var backend = (AcceleratorKind)benchmark.Parameters[nameof(KernelBenchmark.Backend)];
        double seconds = statistics.Median / 1e9, rate = traffic.Bytes / seconds / 1e9;
        return new RooflinePoint(KernelName(benchmark), backend, seconds * 1e3, traffic.Bytes, rate,
            rate / bandwidth.Peak(backend));
    }

    /// <summary>The benchmark's description, as the result table's Method column shows it but without the quotes it adds.</summary>
    public static string KernelName(BenchmarkCase benchmark) =>
        benchmark.Descriptor.WorkloadMethod.GetCustomAttribute<BenchmarkAttribute>()?.Description ?? benchmark.Descriptor.WorkloadMethod.Name;
}
