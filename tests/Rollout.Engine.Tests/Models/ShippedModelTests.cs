using Rollout.Engine.Generation;
using Rollout.Engine.Sampling;
using Rollout.Models.Tasks;
using Rollout.Models.Tasks.Arith;
using Rollout.Models.Tasks.Evaluation;
using Rollout.Tests;

namespace Rollout.Engine.Tests.Models;

/// <summary>
/// The shipped default model (models/arith-qwen2) still does what its README claims, run by this engine on
/// held-out problems: it solves most of them greedily, and the longest chains less often than the shortest.
/// </summary>
public sealed class ShippedModelTests
{
    [Fact]
    public void The_shipped_arith_model_solves_held_out_problems_and_long_chains_less_often()
    {
        var problems = new ArithGenerator(seed: 11).Generate(DataSplit.Test, 150).Select(p => p.ToTaskProblem()).ToList();
        using var engine = RolloutEngine.Open(Path.Combine(RepoPaths.Root, "models", "arith-qwen2"));
        var report = EngineEvaluation.Run(engine, problems, new GenerationOptions { Sampling = new SamplingParams { Greedy = true }, MaxNewTokens = 160, BatchSize = 32 });
        Assert.True(report.Accuracy >= 0.55, $"greedy held-out accuracy {report.Accuracy:P1}");
        Assert.True(report.ByDifficulty[ArithGenerator.MinOperations].Accuracy > report.ByDifficulty[ArithGenerator.MaxOperations].Accuracy,
            "the shortest chains should be solved more often than the longest");
    }
}
