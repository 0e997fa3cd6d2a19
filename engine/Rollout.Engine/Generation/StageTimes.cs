namespace Rollout.Engine.Generation;

/// <summary>Time an engine has spent in L2T's stages after sampling, summed since it was opened (a caller takes differences);
/// probes that run inside decoding (fused graphs) are not in <see cref="Probes"/>.</summary>
public sealed record StageTimes(TimeSpan Probes, TimeSpan Scoring);
