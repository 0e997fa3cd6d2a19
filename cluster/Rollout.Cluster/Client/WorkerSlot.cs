using System.Diagnostics;
using Rollout.Cluster.Contracts;

namespace Rollout.Cluster.Client;

/// <summary>The client's view of one worker during a run: what it holds, what it delivered, whether it answers.</summary>
internal sealed class WorkerSlot(string key, IRolloutWorker grain)
{
    public string Key { get; } = key;
    public IRolloutWorker Grain { get; } = grain;
    public int MaxBatch { get; set; }
    public bool Live { get; set; }
    public bool Probing { get; set; }
    /// <summary>Groups handed to it and not yet back, with when they were sent.</summary>
    public Dictionary<int, long> Holding { get; } = [];
    public int Groups, Rollouts;
    public long Tokens;
    public int Reassigned;
    public long Joined { get; set; } = Stopwatch.GetTimestamp();

    /// <summary>A worker holds two batches (one decoding, one waiting), so it never idles between them.</summary>
    public int Capacity => 2 * MaxBatch;

    public string Name => Key.Split('@')[0];
}
