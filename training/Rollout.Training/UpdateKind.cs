namespace Rollout.Training;

/// <summary>Which weights an RL step changes (spec §6).</summary>
public enum UpdateKind
{
    /// <summary>The lightweight step: the head core M alone, from step features.</summary>
    Core,

    /// <summary>Every weight of the model, through the project's own trainer.</summary>
    Full,
}
