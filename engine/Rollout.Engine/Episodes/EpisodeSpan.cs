namespace Rollout.Engine.Episodes;

/// <summary>
/// Episode number <see cref="Index"/> (0-based: the spec's episode k has Index k−1) as the completion
/// tokens [<see cref="Start"/>, <see cref="End"/>), End exclusive.
/// </summary>
public readonly record struct EpisodeSpan(int Index, int Start, int End)
{
    public int Length => End - Start;
}
