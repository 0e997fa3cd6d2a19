namespace Rollout.Models.Tasks.Evaluation;

/// <summary>
/// One <c>&lt;episode_k&gt;…&lt;/episode_k&gt;</c> block of a completion: its chars [<see cref="Start"/>, <see cref="End"/>),
/// both tags included, and whether it is redundant (holds no operation).
/// </summary>
public readonly record struct EpisodeBlock(int Start, int End, bool IsRedundant);
