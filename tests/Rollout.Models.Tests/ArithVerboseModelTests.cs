using Rollout.Engine;
using Rollout.Engine.Generation;
using Rollout.Engine.Sampling;
using Rollout.Models.Tasks;
using Rollout.Models.Tasks.Arith;
using Rollout.Models.Tasks.Evaluation;
using Rollout.Tests;

namespace Rollout.Models.Tests;

/// <summary>
/// The testbed model (models/arith-verbose-qwen2) still does what its README claims, run by this engine on
/// held-out problems: greedy it solves most of them, and sampled at temperature 1 it spends a large share of its
/// tokens in redundant episodes (the waste a compressing RL method should remove).
/// </summary>
public sealed class ArithVerboseModelTests
{
    [Fact]
    public void SolvesHeldOutProblemsGreedilyAndWastesTokensOnRestatementsWhenSampled()
    {
        var problems = new ArithGenerator(seed: 11).Generate(DataSplit.Test, 100).Select(p => p.ToTaskProblem()).ToList();
        using var engine = RolloutEngine.Open(Path.Combine(RepoPaths.Root, "models", "arith-verbose-qwen2"));
        EvaluationReport Evaluate(SamplingParams sampling, int n) =>
            EngineEvaluation.Run(engine, problems, new GenerationOptions { Sampling = sampling, SamplesPerPrompt = n, MaxNewTokens = 160, BatchSize = 32, Seed = 1 });

        var greedy = Evaluate(new SamplingParams { Greedy = true }, 1);
        Assert.True(greedy.Accuracy >= 0.7, $"greedy held-out accuracy {greedy.Accuracy:P1}");
        var sampled = Evaluate(new SamplingParams { Temperature = 1 }, 2);
        Assert.True(sampled.RedundantTokenShare >= 0.3, $"temperature-1 redundant token share {sampled.RedundantTokenShare:P1}");
        Assert.True(sampled.PassAt1 >= 0.55, $"temperature-1 pass@1 {sampled.PassAt1:P1}");
    }
}
