using Rollout.Engine;
using Rollout.Engine.Episodes;
using Rollout.Engine.Generation;
using Rollout.Engine.L2T;
using Rollout.Engine.Model;
using Rollout.Engine.Prompts;
using Rollout.Engine.Sampling;
using Rollout.Kernels.Runtime;
using Rollout.Kernels.Svd;
using Rollout.Kernels.Update;
using Rollout.Models.ModelFolder;
using Rollout.Models.Onnx;
using Rollout.Models.Reference;
using Rollout.Models.Weights;
using Rollout.Tests;
using Rollout.Training.Updates;

namespace Rollout.Training.Tests.Updates;

public sealed class CoreUpdateTests
{
    [Fact]
    public void Three_steps_equal_the_float64_reference()
    {
        const int rank = 4;
        var random = new Random(5);
        var settings = new CoreUpdateSettings { AdamW = new AdamWSettings { LearningRate = 0.01 }, KlWeight = 0.3 };
        using var host = AcceleratorHost.Create(AcceleratorKind.Managed);
        var update = new CoreUpdate(host, rank, settings);
        var core = HeadCore.Zero(rank);
        float[] first = new float[rank * rank], second = new float[rank * rank];
        for (int step = 0; step < 3; step++)
        {
            var rollouts = Enumerable.Range(0, 3).Select(i => Synthetic(random, tokens: 5 + 3 * i, rank)).ToList();
            var (expected, expectedFirst, expectedSecond) = CoreUpdate.Reference(rollouts, core, first, second, step, settings);
            double norm = update.Step(rollouts);

            Close(expected, update.Core.ToArray(), "M");
            Close(expectedFirst, update.FirstMoment, "first moment");
            Close(expectedSecond, update.SecondMoment, "second moment");
            Assert.Equal(Math.Sqrt(expected.Select((m, i) => Math.Pow(m - core.Values[i], 2)).Sum()), norm, 4);
            (core, first, second) = (update.Core, (float[])update.FirstMoment.Clone(), (float[])update.SecondMoment.Clone());
        }
        Assert.Equal(3, update.Steps);
    }

    /// <summary>
    /// The gradient the core step takes, −(1/N) Σ A_t u_t v_tᵀ + β_KL F ⊙ M from the engine's step features, equals
    /// central differences of the surrogate L(M) = −(1/N) Σ A_t log π_M(z_t) + (β_KL/2) Σ F M² computed in float64 from
    /// the reference forward (π_M = softmax((W h + U_r M V_rᵀ h)/τ)), at a non-zero M and τ ≠ 1.
    /// </summary>
    [Fact]
    public void The_core_gradient_from_step_features_equals_finite_differences_of_the_surrogate()
    {
        const int rank = 4;
        const double temperature = 0.7, klWeight = 50;
        var dir = RepoPaths.NewTempDir("core-fd");
        var config = NewModel.Write(Architecture.Llama, layers: 2, hidden: 32, heads: 4, kvHeads: 2, intermediate: 64, vocab: 300, seed: 3, dir,
            WeightDtype.Float32, maxPositions: 64);
        var weights = RandomWeights.Create(config, 3);
        var random = new Random(9);
        var core = new HeadCore(rank, [.. Enumerable.Range(0, rank * rank).Select(_ => (float)(0.2 * (random.NextDouble() - 0.5)))]);
        using var engine = RolloutEngine.Open(dir);
        var settings = new L2TGeneration { Options = new() { Rank = rank }, Core = core };
        var prompt = engine.Encode([new Prompt("q", "Compute 3 + 4.", null, null, null)])[0];
        int[][] completions = [[.. Enumerable.Range(0, 6).Select(_ => random.Next(config.VocabSize))], [.. Enumerable.Range(0, 4).Select(_ => random.Next(config.VocabSize))]];
        var options = new GenerationOptions { Sampling = new SamplingParams { Temperature = temperature }, L2T = settings };
        var scored = engine.Score([.. completions.Select(c => new GivenCompletion(prompt, c))], options);
        var advantages = completions.Select(c => c.Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray()).ToArray();
        var rollouts = scored.Select((r, i) => r with { Score = r.Score! with { Advantages = advantages[i] } }).ToList();

        var factors = engine.HeadFactors(settings);
        var u = rollouts.SelectMany(r => r.Features!.U).ToArray();
        var v = rollouts.SelectMany(r => r.Features!.V).ToArray();
        var a = advantages.SelectMany(x => x).ToArray();
        var fisher = Kernels.Episode.DiagonalFisher.Reference(u, v, [new IndexRange(0, a.Length)], rank, 1e-5);
        var gradient = Kernels.Update.CoreGradient.Reference(u, v, a, [.. fisher.Select(f => (float)f)], core.ToArray(), rank, klWeight);

        // The reference forward of every prompt + completion, once: the surrogate only moves M.
        var forwards = completions.Select(c => ReferenceForward.Run(weights, [.. prompt.TokenIds, .. c])).ToArray();
        double Surrogate(double[] m)
        {
            double sum = 0;
            for (int i = 0; i < completions.Length; i++)
                for (int t = 0; t < completions[i].Length; t++)
                {
                    int at = prompt.TokenIds.Length - 1 + t;
                    sum += advantages[i][t] * LogProbability(forwards[i].Logits[at], forwards[i].Hidden[at], factors, m, completions[i][t], temperature);
                }
            return -sum / a.Length + klWeight / 2 * m.Select((x, k) => fisher[k] * x * x).Sum();
        }
        var m0 = core.ToArray().Select(x => (double)x).ToArray();
        const double h = 1e-4;
        var numeric = m0.Select((_, k) =>
        {
            double[] plus = [.. m0], minus = [.. m0];
            plus[k] += h;
            minus[k] -= h;
            return (Surrogate(plus) - Surrogate(minus)) / (2 * h);
        }).ToArray();
        // Both terms matter at this β_KL: the KL part alone is a sizeable share of the gradient.
        var kl = m0.Select((m, k) => klWeight * fisher[k] * m).ToArray();
        Assert.True(kl.Max(Math.Abs) > 0.1 * numeric.Max(Math.Abs), $"KL term {kl.Max(Math.Abs)}, gradient {numeric.Max(Math.Abs)}");
        double scale = numeric.Max(Math.Abs);
        for (int k = 0; k < m0.Length; k++)
            Assert.True(Math.Abs(numeric[k] - gradient[k]) <= 1e-3 * scale, $"entry {k}: finite differences {numeric[k]}, from step features {gradient[k]}");
    }

    private static double LogProbability(double[] logits, double[] hidden, HeadFactors f, double[] m, int token, double temperature)
    {
        int rank = f.Rank;
        var projected = Enumerable.Range(0, rank).Select(b => Enumerable.Range(0, f.Width).Sum(j => (double)f.HiddenBasis[b * f.Width + j] * hidden[j])).ToArray();
        var coreTimes = Enumerable.Range(0, rank).Select(x => Enumerable.Range(0, rank).Sum(b => m[x * rank + b] * projected[b])).ToArray();
        var scaled = logits.Select((l, vocab) => (l + Enumerable.Range(0, rank).Sum(x => f.VocabBasis[x * f.Vocab + vocab] * coreTimes[x])) / temperature).ToArray();
        double max = scaled.Max();
        return scaled[token] - max - Math.Log(scaled.Sum(s => Math.Exp(s - max)));
    }

    private static RolloutResult Synthetic(Random random, int tokens, int rank)
    {
        float Next() => (float)(random.NextDouble() * 2 - 1);
        var features = new StepFeatures(rank, [.. Enumerable.Range(0, tokens * rank).Select(_ => Next())], [.. Enumerable.Range(0, tokens * rank).Select(_ => Next())]);
        var score = new RolloutScore(1, null, [], new float[tokens], [.. Enumerable.Range(0, tokens).Select(_ => 3 * Next())], 0);
        return new RolloutResult("p", 0, [], new int[tokens], "", FinishReason.Eos, new float[tokens], new float[tokens], new float[tokens],
            [new EpisodeSpan(0, 0, tokens)], true, features, score);
    }

    private static void Close(double[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5 + 1e-4 * Math.Abs(expected[i]), $"{what}[{i}]: expected {expected[i]}, got {actual[i]}");
    }
}
