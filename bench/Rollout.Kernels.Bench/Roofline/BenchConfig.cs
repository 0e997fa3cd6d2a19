using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Order;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Rollout.Kernels.Bench.Roofline;

/// <summary>
/// The suite's BenchmarkDotNet configuration: a short job (few iterations, so the whole suite stays within minutes on
/// two cores), the median beside the mean, the roofline columns, and one joined summary for the results file.
/// </summary>
public static class BenchConfig
{
    /// <summary>
    /// ShortRun's three warm-ups with five measured iterations (a median of five), in process: no project is generated
    /// and built per run (minutes on a shared two-core machine).
    /// </summary>
    private static readonly Job Short = Job.ShortRun
        .WithIterationCount(5)
        .WithToolchain(InProcessEmitToolchain.Instance)
        .WithId("Short");

    public static IConfig Create(MeasuredBandwidth bandwidth) => ManualConfig.Create(DefaultConfig.Instance)
        .AddJob(Short)
        .AddColumn(StatisticColumn.Median)
        .AddColumn(
            new TrafficColumn(TrafficColumn.Quantity.Bytes, bandwidth),
            new TrafficColumn(TrafficColumn.Quantity.Rate, bandwidth),
            new TrafficColumn(TrafficColumn.Quantity.ShareOfPeak, bandwidth))
        .HideColumns(Column.Namespace)
        .WithOrderer(new DefaultOrderer(SummaryOrderPolicy.Declared, MethodOrderPolicy.Declared))
        .WithOptions(ConfigOptions.JoinSummary);
}
