using Rollout.Engine;
using Rollout.Engine.Model;

namespace Rollout.Server;

/// <summary>How <c>rollout serve</c> runs: the model, where it listens, and how much it takes on at once.</summary>
public sealed record ServerOptions
{
    public required string ModelDir { get; init; }
    public string Host { get; init; } = "127.0.0.1";
    /// <summary>0 picks a free port (see <see cref="RolloutServer.Address"/>).</summary>
    public int Port { get; init; } = 8000;
    public ExecutionDevice Device { get; init; } = ExecutionDevice.Cpu;
    /// <summary>Rows (sequences) decoded together.</summary>
    public int MaxBatch { get; init; } = 64;
    /// <summary>CPU decode lanes the batch is split over (see <c>RolloutEngine.Open</c>'s lanes).</summary>
    public int Lanes { get; init; } = 1;
    /// <summary>Requests that may wait for the batcher; one more is answered 429.</summary>
    public int MaxQueue { get; init; } = 256;

    public void Validate()
    {
        if (MaxBatch < 1) throw InputException.ForSetting(nameof(MaxBatch), $"must be at least 1 (got {MaxBatch})");
        if (MaxQueue < 1) throw InputException.ForSetting(nameof(MaxQueue), $"must be at least 1 (got {MaxQueue})");
        if (Port is < 0 or > 65535) throw InputException.ForSetting(nameof(Port), $"must be in [0, 65535] (got {Port})");
    }
}
