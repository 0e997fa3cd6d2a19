namespace Rollout.Cluster.Contracts;

/// <summary>
/// The engine of one worker process, pinned to its silo (the key is the silo's address), so the client addresses
/// machines, not activations. Calls return at once; the groups' rollouts come back through the sink.
/// </summary>
public interface IRolloutWorker : IGrainWithStringKey
{
    /// <summary>Its batch size and queue: the join handshake, the liveness ping and the queue depth on the progress line.</summary>
    Task<WorkerLoad> Load();

    /// <summary>Queues prompt groups of one run; each comes back to <paramref name="sink"/> when its samples are done.</summary>
    Task Hold(GroupWork[] groups, IGroupSink sink);

    /// <summary>Samples from <paramref name="weights"/> from the next batch on; returns once they are in.</summary>
    Task SwapWeights(WeightsMessage weights);

    /// <summary>The run is over (finished, failed or abandoned): its queued groups are dropped and its running rows leave the batch.</summary>
    Task Drop(Guid run);
}

/// <summary>The client's end of a run: where workers deliver finished groups.</summary>
public interface IGroupSink : IGrainObserver
{
    Task Done(GroupDone done);
}
