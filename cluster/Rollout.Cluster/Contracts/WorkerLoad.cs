namespace Rollout.Cluster.Contracts;

/// <summary>
/// A worker's batch size (sequences decoded together), the groups it holds, waiting and decoding, and the version of the
/// weights it samples from (<see cref="Guid.Empty"/>: its model folder's).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record WorkerLoad([property: Id(0)] int MaxBatch, [property: Id(1)] int Queued, [property: Id(2)] int Decoding,
    [property: Id(3)] Guid Weights = default);
