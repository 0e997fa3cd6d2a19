using Rollout.Engine;
using Rollout.Engine.Generation;
using Rollout.Kernels;

namespace Rollout.Training;

/// <summary>What <see cref="Runs.TrainingRun"/> trains, how, and where it writes.</summary>
public sealed record TrainingOptions
{
    public required string ModelDir { get; init; }
    public required string OutDir { get; init; }
    public string Task { get; init; } = "arith";
    public AdvantageBaseline Advantage { get; init; } = AdvantageBaseline.L2T;
    public UpdateKind Update { get; init; } = UpdateKind.Core;
    public int Iterations { get; init; } = 20;

    /// <summary>Prompts per iteration (P), each sampled <see cref="Samples"/> times (G, the group).</summary>
    public int Prompts { get; init; } = 16;
    public int Samples { get; init; } = 8;
    public double Temperature { get; init; } = 1.0;
    public int MaxNewTokens { get; init; } = 160;

    /// <summary>AdamW's learning rate; null takes the update kind's default (<see cref="DefaultLearningRate"/>).</summary>
    public double? LearningRate { get; init; }
    public int Seed { get; init; } = 1;

    /// <summary>Held-out greedy evaluation every this many iterations (and before the first); 0 never.</summary>
    public int EvalEvery { get; init; } = 5;
    public int EvalProblems { get; init; } = 100;

    /// <summary>Continue the run in <see cref="OutDir"/> from its checkpoint.</summary>
    public bool Resume { get; init; }

    /// <summary>Sequences decoded together.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>The L2T reward settings (α, β, rank, …); the advantage mode comes from <see cref="Advantage"/>.</summary>
    public L2TGeneration L2T { get; init; } = new();

    /// <summary>β_KL of the core step (spec §6); the full step has no KL term.</summary>
    public double KlWeight { get; init; } = 0.001;

    public double EffectiveLearningRate => LearningRate ?? DefaultLearningRate(Update);

    /// <summary>Per update kind: M starts at 0 and moves logits through a rank-r proxy; the full step moves every weight of a trained model.</summary>
    public static double DefaultLearningRate(UpdateKind update) => update == UpdateKind.Core ? 2e-3 : 1e-4;

    public void Validate()
    {
        void Positive(int value, string setting) { if (value < 1) throw InputException.ForSetting(setting, $"must be at least 1 (got {value})"); }
        Positive(Iterations, nameof(Iterations));
        Positive(Prompts, nameof(Prompts));
        Positive(Samples, nameof(Samples));
        Positive(MaxNewTokens, nameof(MaxNewTokens));
        Positive(BatchSize, nameof(BatchSize));
        if (EvalEvery < 0) throw InputException.ForSetting(nameof(EvalEvery), $"must be 0 or more (got {EvalEvery})");
        if (EvalEvery > 0) Positive(EvalProblems, nameof(EvalProblems));
        if (!(Temperature > 0) || !double.IsFinite(Temperature)) throw InputException.ForSetting(nameof(Temperature), $"must be a positive number (got {Temperature})");
        if (!(EffectiveLearningRate > 0) || !double.IsFinite(EffectiveLearningRate)) throw InputException.ForSetting(nameof(LearningRate), $"must be a positive number (got {EffectiveLearningRate})");
        if (Task != "arith") throw InputException.ForSetting(nameof(Task), $": unknown task '{Task}' (known: arith)");
        L2T.Validate();
    }
}
