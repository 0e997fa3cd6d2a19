using Rollout.Engine.Generation;

namespace Rollout.Engine.Output;

/// <summary>
/// Where a run's rollouts go, one at a time in output order (<see cref="RolloutWriter.Open"/> picks the format).
/// Nothing counts as complete before <see cref="Commit"/>; disposing without it keeps what was written where
/// <see cref="PartialPath"/> says.
/// </summary>
public interface IRolloutWriter : IDisposable
{
    /// <summary>Rollouts written so far.</summary>
    int Count { get; }

    /// <summary>Where the rollouts written so far stay when the run fails before <see cref="Commit"/>; null when they went straight to standard output.</summary>
    string? PartialPath { get; }

    void Write(RolloutResult rollout);

    /// <summary>Marks the output complete (a file gets its final name).</summary>
    void Commit();
}
