using Rollout.Engine.Episodes;
using Rollout.Engine.Generation;
using Rollout.Engine.Sampling;
using Rollout.Kernels;
using Rollout.Kernels.Svd;

namespace Rollout.Cluster.Contracts;

/// <summary>
/// <see cref="GenerationOptions"/> on the wire, without the batch size (the worker's own). Enums travel as numbers and
/// the episode mode as its command-line spelling, so the engine's types carry no Orleans attributes.
/// </summary>
[GenerateSerializer, Immutable]
public sealed class OptionsMessage
{
    [Id(0)] public int SamplesPerPrompt { get; init; }
    [Id(1)] public int MaxNewTokens { get; init; }
    [Id(2)] public bool Greedy { get; init; }
    [Id(3)] public double Temperature { get; init; }
    [Id(4)] public int TopK { get; init; }
    [Id(5)] public double TopP { get; init; }
    [Id(6)] public double MinP { get; init; }
    [Id(7)] public ulong Seed { get; init; }
    [Id(8)] public string[] StopStrings { get; init; } = [];
    [Id(9)] public int[] StopTokenIds { get; init; } = [];
    [Id(10)] public bool IgnoreEos { get; init; }
    [Id(11)] public string Episodes { get; init; } = "tags";
    [Id(12)] public L2TMessage? L2T { get; init; }
    [Id(13)] public double RepetitionPenalty { get; init; } = 1;
    [Id(14)] public double PresencePenalty { get; init; }
    [Id(15)] public double FrequencyPenalty { get; init; }
    [Id(16)] public int MinNewTokens { get; init; }
    [Id(17)] public int TopLogprobs { get; init; }

    public static OptionsMessage From(GenerationOptions o) => new()
    {
        SamplesPerPrompt = o.SamplesPerPrompt, MaxNewTokens = o.MaxNewTokens,
        Greedy = o.Sampling.Greedy, Temperature = o.Sampling.Temperature, TopK = o.Sampling.TopK, TopP = o.Sampling.TopP, MinP = o.Sampling.MinP,
        RepetitionPenalty = o.Sampling.RepetitionPenalty, PresencePenalty = o.Sampling.PresencePenalty, FrequencyPenalty = o.Sampling.FrequencyPenalty,
        Seed = o.Seed, StopStrings = [.. o.StopStrings], StopTokenIds = [.. o.StopTokenIds], IgnoreEos = o.IgnoreEos,
        MinNewTokens = o.MinNewTokens, TopLogprobs = o.TopLogprobs,
        Episodes = o.Episodes.ToString(), L2T = o.L2T == null ? null : L2TMessage.From(o.L2T),
    };

    public GenerationOptions ToOptions() => new()
    {
        SamplesPerPrompt = SamplesPerPrompt, MaxNewTokens = MaxNewTokens,
        Sampling = new SamplingParams
        {
            Greedy = Greedy, Temperature = Temperature, TopK = TopK, TopP = TopP, MinP = MinP,
            RepetitionPenalty = RepetitionPenalty, PresencePenalty = PresencePenalty, FrequencyPenalty = FrequencyPenalty,
        },
        Seed = Seed, StopStrings = StopStrings, StopTokenIds = StopTokenIds, IgnoreEos = IgnoreEos, MinNewTokens = MinNewTokens, TopLogprobs = TopLogprobs,
        Episodes = EpisodeSpec.Parse(Episodes), L2T = L2T?.ToGeneration(),
    };
}

/// <summary><see cref="L2TGeneration"/> on the wire: the cue, the head core M (rank and r² values) and every L2T option.</summary>
[GenerateSerializer, Immutable]
public sealed class L2TMessage
{
    [Id(0)] public string AnswerCue { get; init; } = "";
    [Id(1)] public bool ZeroCopy { get; init; }
    [Id(2)] public int CoreRank { get; init; }
    [Id(3)] public float[]? Core { get; init; }
    [Id(4)] public double Alpha { get; init; }
    [Id(5)] public double Beta { get; init; }
    [Id(6)] public double FisherDamping { get; init; }
    [Id(7)] public int Rank { get; init; }
    [Id(8)] public double EpisodeStep { get; init; }
    [Id(9)] public int Scope { get; init; }
    [Id(10)] public int Estimator { get; init; }
    [Id(11)] public int Normalization { get; init; }
    [Id(12)] public double FormatPenalty { get; init; }
    [Id(13)] public double TruncatedMeanKeep { get; init; }
    [Id(14)] public int Baseline { get; init; }
    [Id(15)] public double AdvantageClip { get; init; }
    [Id(16)] public double LengthPenalty { get; init; }
    [Id(17)] public int SvdOversampling { get; init; }
    [Id(18)] public int SvdPowerIterations { get; init; }
    [Id(19)] public int SvdSeed { get; init; }

    public static L2TMessage From(L2TGeneration g)
    {
        var o = g.Options;
        return new()
        {
            AnswerCue = g.AnswerCue, ZeroCopy = g.ZeroCopy, CoreRank = g.Core?.Rank ?? 0, Core = g.Core?.ToArray(),
            Alpha = o.Alpha, Beta = o.Beta, FisherDamping = o.FisherDamping, Rank = o.Rank, EpisodeStep = o.EpisodeStep,
            Scope = (int)o.Scope, Estimator = (int)o.Estimator, Normalization = (int)o.Normalization, FormatPenalty = o.FormatPenalty,
            TruncatedMeanKeep = o.TruncatedMeanKeep, Baseline = (int)o.Baseline, AdvantageClip = o.AdvantageClip, LengthPenalty = o.LengthPenalty,
            SvdOversampling = o.SvdOversampling, SvdPowerIterations = o.SvdPowerIterations, SvdSeed = o.SvdSeed,
        };
    }

    public L2TGeneration ToGeneration() => new()
    {
        AnswerCue = AnswerCue, ZeroCopy = ZeroCopy, Core = Core == null ? null : new HeadCore(CoreRank, Core),
        Options = new L2TOptions
        {
            Alpha = Alpha, Beta = Beta, FisherDamping = FisherDamping, Rank = Rank, EpisodeStep = EpisodeStep,
            Scope = (FisherScope)Scope, Estimator = (PenaltyEstimator)Estimator, Normalization = (PenaltyNormalization)Normalization,
            FormatPenalty = FormatPenalty, TruncatedMeanKeep = TruncatedMeanKeep, Baseline = (AdvantageBaseline)Baseline,
            AdvantageClip = AdvantageClip, LengthPenalty = LengthPenalty,
            SvdOversampling = SvdOversampling, SvdPowerIterations = SvdPowerIterations, SvdSeed = SvdSeed,
        },
    };
}
