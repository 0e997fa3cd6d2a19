using Rollout.Engine;

namespace Rollout.Server;

/// <summary>The model a server runs: its engine, the id clients name it by, and what requests are checked against.</summary>
internal sealed class ServedModel(RolloutEngine engine, int maxBatch)
{
    public RolloutEngine Engine { get; } = engine;
    /// <summary>The model folder's name, as vLLM names a model by what it was loaded from.</summary>
    public string Id { get; } = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(engine.Model.Path)));
    public int ContextWindow => Engine.Model.Config.MaxPositions;
    /// <summary>Rows decoded together; every request's batch size, so any requests can share a call.</summary>
    public int MaxBatch { get; } = maxBatch;
    public long Created { get; } = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
}
