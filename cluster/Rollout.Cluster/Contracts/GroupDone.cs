namespace Rollout.Cluster.Contracts;

/// <summary>
/// A finished group: its samples in order, or the one-line error that stopped it (<see cref="InputError"/>: bad input,
/// such as NaN logits, which the client reports as the local engine would). The times are the worker's: waiting in its
/// queue and inside the engine's Generate (its batch's start to the group's last sample), so the client can tell the
/// cluster's overhead (the rest of the round trip) from compute. <see cref="Worker"/> is the silo address of the worker that
/// decoded it, so a late result from a worker taken for lost is counted as its own.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record GroupDone(
    [property: Id(0)] Guid Run,
    [property: Id(1)] int Group,
    [property: Id(2)] RolloutMessage[] Rollouts,
    [property: Id(3)] double QueuedSeconds,
    [property: Id(4)] double ComputeSeconds,
    [property: Id(5)] string? Error = null,
    [property: Id(6)] bool InputError = false,
    [property: Id(7)] string? Worker = null);
