namespace Rollout.Models.Tasks;

/// <summary>How much the reference solutions of a task's SFT data restate what is already known.</summary>
public enum SolutionStyle
{
    /// <summary>The redundant share of solutions carries one re-check episode (the shipped model's data).</summary>
    Plain,
    /// <summary>
    /// The redundant share of solutions carries 1–3 restatement episodes of varied wording and position: enough
    /// waste for a method that rewards compression to show, with the operation episodes alone still sufficient.
    /// </summary>
    Verbose,
}
