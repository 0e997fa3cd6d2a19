using System.Globalization;
using Rollout.Kernels;
using Rollout.Kernels.Svd;

namespace Rollout.Engine.Generation;

/// <summary>Turns on L2T scoring for a generation: step features, answer probes, rewards and advantages.</summary>
public sealed record L2TGeneration
{
    public L2TOptions Options { get; init; } = new();
    /// <summary>Text that closes the reasoning and opens the answer; the probes teacher-force the answer after it (spec §3).</summary>
    public string AnswerCue { get; init; } = "</think>\n#### ";
    /// <summary>The head core M of the policy being sampled; null for the base model (M = 0).</summary>
    public HeadCore? Core { get; init; }
    /// <summary>ONNX Runtime writes decode steps' logits and hidden states into the kernels' buffers (no copy); false copies them (the fallback).</summary>
    public bool ZeroCopy { get; init; } = true;

    /// <summary>
    /// Refuses settings the reward math cannot use (a NaN or infinite weight would reach the output as NaN rewards),
    /// naming the setting. The rank's upper bound depends on the model and is checked when the head is factored.
    /// </summary>
    public void Validate()
    {
        var o = Options;
        AtLeastZero(o.Alpha, nameof(o.Alpha));
        AtLeastZero(o.Beta, nameof(o.Beta));
        AtLeastZero(o.FisherDamping, nameof(o.FisherDamping));
        AtLeastZero(o.LengthPenalty, nameof(o.LengthPenalty));
        Positive(o.EpisodeStep, nameof(o.EpisodeStep));
        if (!double.IsFinite(o.FormatPenalty)) throw InputException.ForSetting(nameof(o.FormatPenalty), $"must be a finite number (got {Text(o.FormatPenalty)})");
        if (!(o.TruncatedMeanKeep > 0 && o.TruncatedMeanKeep <= 1))
            throw InputException.ForSetting(nameof(o.TruncatedMeanKeep), $"must be in (0, 1] (got {Text(o.TruncatedMeanKeep)})");
        // +∞ is allowed: no clip.
        if (!(o.AdvantageClip > 0)) throw InputException.ForSetting(nameof(o.AdvantageClip), $"must be a number > 0 (got {Text(o.AdvantageClip)})");
        if (o.Rank < 1) throw InputException.ForSetting(nameof(o.Rank), $"must be at least 1 (got {o.Rank})");
        if (o.SvdOversampling < 0) throw InputException.ForSetting(nameof(o.SvdOversampling), $"must be 0 or more (got {o.SvdOversampling})");
        if (o.SvdPowerIterations < 0) throw InputException.ForSetting(nameof(o.SvdPowerIterations), $"must be 0 or more (got {o.SvdPowerIterations})");
        if (!Enum.IsDefined(o.Scope) || !Enum.IsDefined(o.Estimator) || !Enum.IsDefined(o.Normalization) || !Enum.IsDefined(o.Baseline))
            throw new InputException($"L2T options: an undefined scope, estimator, normalization or baseline ({o.Scope}, {o.Estimator}, {o.Normalization}, {o.Baseline})");
        if (AnswerCue == null) throw InputException.ForSetting(nameof(AnswerCue), "must be a string (may be empty)");
        if (Core != null && Core.Rank != o.Rank)
            throw InputException.ForSetting(nameof(o.Rank), $"{o.Rank} differs from the head core's rank {Core.Rank}");
    }

    private static void AtLeastZero(double value, string setting)
    {
        if (!(value >= 0 && double.IsFinite(value))) throw InputException.ForSetting(setting, $"must be a finite number ≥ 0 (got {Text(value)})");
    }

    private static void Positive(double value, string setting)
    {
        if (!(value > 0 && double.IsFinite(value))) throw InputException.ForSetting(setting, $"must be a finite number > 0 (got {Text(value)})");
    }

    private static string Text(double value) => value.ToString(CultureInfo.InvariantCulture);
}
