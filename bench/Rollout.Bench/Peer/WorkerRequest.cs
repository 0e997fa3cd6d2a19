namespace Rollout.Bench.Peer;

/// <summary>What one worker process measures: an engine on a workload, the model read from <paramref name="ModelDir"/>. It crosses the
/// process boundary as JSON.</summary>
public sealed record WorkerRequest(string Engine, Workload Workload, string ModelDir);
