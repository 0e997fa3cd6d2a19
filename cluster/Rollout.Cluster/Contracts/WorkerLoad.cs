namespace Rollout.Cluster.Contracts;

/// <summary>A worker's batch size (sequences decoded together) and the groups it holds, waiting and decoding.</summary>
[GenerateSerializer, Immutable]
public sealed record WorkerLoad([property: Id(0)] int MaxBatch, [property: Id(1)] int Queued, [property: Id(2)] int Decoding);
