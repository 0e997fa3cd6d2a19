using Rollout.Engine.Model;
using Rollout.Models.Tasks;

namespace Rollout.Models.Training;

/// <summary>What <see cref="TaskTrainer.Train"/> trains, for how long, and where the model folder goes.</summary>
public sealed record TaskTrainingOptions
{
    /// <summary>The task whose generator supplies the SFT data; "arith" is the one known.</summary>
    public string Task { get; init; } = "arith";
    public int Seed { get; init; } = 1;
    public int Steps { get; init; } = 2000;
    public TrainerModelSize ModelSize { get; init; } = TrainerModelSize.Small;
    public Architecture Architecture { get; init; } = Architecture.Qwen2;
    public required string OutputDir { get; init; }
    /// <summary>Sequences per optimizer step.</summary>
    public int BatchSize { get; init; } = 16;
    public double LearningRate { get; init; } = 3e-3;
    public int WarmupSteps { get; init; } = 100;
    public double WeightDecay { get; init; } = 0.05;
    public double ClipNorm { get; init; } = 1.0;
    public int VocabSize { get; init; } = 384;
    public int MaxPositions { get; init; } = 256;
    /// <summary>Share of SFT examples with redundant episodes.</summary>
    public double RedundantShare { get; init; } = 0.35;
    /// <summary>How many redundant episodes those examples carry, and how they are worded.</summary>
    public SolutionStyle Style { get; init; } = SolutionStyle.Plain;
    /// <summary>Log a line every this many steps.</summary>
    public int LogEvery { get; init; } = 10;
    /// <summary>Held-out problems written to test.jsonl and scored after training (greedy and one temperature-1 sample each); 0 skips it.</summary>
    public int EvalProblems { get; init; } = 200;
    /// <summary>Every this many steps (a multiple of <see cref="LogEvery"/>), greedy accuracy on the first 100 held-out problems is logged; 0 never.</summary>
    public int EvalEvery { get; init; }
    public int MaxNewTokens { get; init; } = 160;
    public Action<string>? Log { get; init; }
}
