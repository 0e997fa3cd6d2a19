namespace Rollout.Cluster.Contracts;

/// <summary>
/// Weights a worker's engine samples from (the full update's policy): tensors by initializer name, and the version
/// that names them, so a worker that already has them is not sent them again.
/// </summary>
[GenerateSerializer, Immutable]
public sealed class WeightsMessage
{
    [Id(0)] public Guid Version { get; init; }
    [Id(1)] public string[] Names { get; init; } = [];
    [Id(2)] public float[][] Values { get; init; } = [];

    /// <summary>The model folder's own weights (a worker left with another run's goes back to them).</summary>
    public static readonly WeightsMessage ModelFolder = new();

    public static WeightsMessage From(IReadOnlyDictionary<string, float[]> tensors) => new()
    {
        Version = Guid.NewGuid(), Names = [.. tensors.Keys], Values = [.. tensors.Values.Select(v => (float[])v.Clone())],
    };

    public IReadOnlyDictionary<string, float[]> ToTensors() => Names.Zip(Values).ToDictionary(p => p.First, p => p.Second);
}
