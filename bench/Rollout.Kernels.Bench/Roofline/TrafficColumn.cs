using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Rollout.Kernels.Bench.Roofline;

/// <summary>A result-table column of the roofline: compulsory bytes, the GB/s achieved, or the share of the measured bandwidth.</summary>
public sealed class TrafficColumn(TrafficColumn.Quantity quantity, MeasuredBandwidth bandwidth) : IColumn
{
    public enum Quantity { Bytes, Rate, ShareOfPeak }

    public string Id => $"{nameof(TrafficColumn)}.{quantity}";

    public string ColumnName => quantity switch
    {
        Quantity.Bytes => "Bytes",
        Quantity.Rate => "GB/s",
        _ => "% of peak",
    };

    public string Legend => quantity switch
    {
        Quantity.Bytes => "Compulsory traffic: inputs read once and outputs written once (the formula beside each benchmark)",
        Quantity.Rate => "Bytes / median time",
        _ => "GB/s against the backend's measured memory bandwidth (host copy/triad; CUDA device-to-device copy)",
    };

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var point = RooflinePoint.Of(summary, benchmarkCase, bandwidth);
        if (point is null) return "-";
        return quantity switch
        {
            Quantity.Bytes => Format.Bytes(point.Bytes),
            Quantity.Rate => Format.Rate(point.GigabytesPerSecond),
            _ => Format.Share(point.ShareOfPeak),
        };
    }

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public bool IsAvailable(Summary summary) => true;
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => (int)quantity;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public override string ToString() => ColumnName;
}
