using Rollout.Cluster.Contracts;

namespace Rollout.Cluster.Worker;

/// <summary>The grain face of the silo's <see cref="WorkerEngine"/>: every call only queues or reads, so it answers while the engine decodes.</summary>
[SiloPinnedPlacement]
internal sealed class RolloutWorkerGrain(WorkerEngine engine) : Grain, IRolloutWorker
{
    public Task<WorkerLoad> Load() => Task.FromResult(engine.Load);

    public Task Hold(GroupWork[] groups, IGroupSink sink)
    {
        engine.Hold(groups, sink);
        return Task.CompletedTask;
    }

    public Task SwapWeights(WeightsMessage weights) => engine.Swap(weights);

    public Task Drop(Guid run)
    {
        engine.Drop(run);
        return Task.CompletedTask;
    }
}
