namespace Rollout.Engine.Episodes;

/// <summary>
/// A completion's episodes, disjoint and in order. When no episode could be parsed,
/// <see cref="Episodes"/> is one span over the whole completion and <see cref="FormatOk"/> is false.
/// </summary>
internal sealed record Segmentation(IReadOnlyList<EpisodeSpan> Episodes, bool FormatOk);
