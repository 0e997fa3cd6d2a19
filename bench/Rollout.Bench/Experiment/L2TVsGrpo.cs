using Rollout.Engine.L2T;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Rollout.Engine;
using Rollout.Engine.Generation;
using Rollout.Engine.Sampling;
using Rollout.Kernels;
using Rollout.Training;
using Rollout.Models.Tasks.Evaluation;
using Rollout.Training.Runs;
using Rollout.Training.Tasks;
using ScottPlot;

namespace Rollout.Bench.Experiment;

/// <summary>
/// L2T against outcome-only GRPO (and the length baseline) in miniature: every advantage mode × update kind × seed
/// trains from the same model with the same rollout budget; each final policy folder is evaluated on held-out
/// problems, greedy (accuracy) and sampled at T = 1 (pass@1). Writes JSON, a Markdown table and a PNG of the curves.
/// </summary>
public static class L2TVsGrpo
{
    public sealed record Settings(string Model, string[] Methods, string[] FullMethods, string[] Updates, int[] Seeds, int Iterations, int Prompts, int Samples,
        int EvalEvery, int EvalProblems, int FinalProblems, int FinalSamples, double? CoreLearningRate, double? FullLearningRate, double Beta,
        string RunsDir, string ResultsDir, string Title);

    public sealed record Final(
        [property: JsonPropertyName("accuracy")] double Accuracy,
        [property: JsonPropertyName("pass_at_1")] double PassAt1,
        [property: JsonPropertyName("mean_tokens")] double MeanTokens,
        [property: JsonPropertyName("redundant_share")] double RedundantShare,
        [property: JsonPropertyName("sampled_mean_tokens")] double SampledMeanTokens,
        [property: JsonPropertyName("sampled_redundant_share")] double SampledRedundantShare,
        [property: JsonPropertyName("by_difficulty")] IReadOnlyDictionary<int, DifficultyMetrics> ByDifficulty);

    public sealed record RunResult(
        [property: JsonPropertyName("method")] string Method,
        [property: JsonPropertyName("update")] string Update,
        [property: JsonPropertyName("seed")] int Seed,
        [property: JsonPropertyName("iterations")] int Iterations,
        [property: JsonPropertyName("rollouts")] int Rollouts,
        [property: JsonPropertyName("seconds")] double Seconds,
        [property: JsonPropertyName("final")] Final Final,
        [property: JsonPropertyName("curve")] IReadOnlyList<EvalMetrics> Curve,
        [property: JsonPropertyName("train_curve")] IReadOnlyList<TrainPoint> TrainCurve);

    /// <summary>An iteration's training rollouts (T = 1): their accuracy and length.</summary>
    public sealed record TrainPoint(
        [property: JsonPropertyName("iteration")] int Iteration,
        [property: JsonPropertyName("outcome_accuracy")] double OutcomeAccuracy,
        [property: JsonPropertyName("mean_tokens")] double MeanTokens,
        [property: JsonPropertyName("redundant_share")] double RedundantShare);

    public static int Run(Settings s)
    {
        var clock = Stopwatch.StartNew();
        var heldOut = TaskProblems.HeldOut(s.FinalProblems);
        var baseline = FinalOf(s.Model, heldOut, s);
        Console.Error.WriteLine($"base model: greedy {baseline.Accuracy:P1}, pass@1 {baseline.PassAt1:P1}, {baseline.MeanTokens:F1} tokens, redundant {baseline.RedundantShare:P1}");
        var runs = new List<RunResult>();
        foreach (var update in s.Updates)
            foreach (var method in update == "full" ? s.FullMethods : s.Methods)
                foreach (var seed in s.Seeds)
                {
                    var dir = Path.Combine(s.RunsDir, $"{method}-{update}-seed{seed}");
                    if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
                    var kind = update == "full" ? UpdateKind.Full : UpdateKind.Core;
                    var options = new TrainingOptions
                    {
                        ModelDir = s.Model, OutDir = dir, Advantage = AdvantageNames.All[method], Update = kind, Iterations = s.Iterations,
                        Prompts = s.Prompts, Samples = s.Samples, Seed = seed, EvalEvery = s.EvalEvery, EvalProblems = s.EvalProblems,
                        LearningRate = kind == UpdateKind.Core ? s.CoreLearningRate : s.FullLearningRate,
                        L2T = new L2TGeneration { Options = new L2TOptions { Beta = s.Beta } },
                    };
                    var started = Stopwatch.StartNew();
                    TrainingRun.Run(options, _ => { });
                    var seconds = started.Elapsed.TotalSeconds;
                    var final = FinalOf(Path.Combine(dir, TrainingRun.PolicyFolder), heldOut, s);
                    var curve = File.ReadLines(Path.Combine(dir, TrainingRun.EvalFile)).Select(l => JsonSerializer.Deserialize<EvalMetrics>(l)!).ToList();
                    var train = File.ReadLines(Path.Combine(dir, TrainingRun.MetricsFile)).Select(l => JsonSerializer.Deserialize<IterationMetrics>(l)!)
                        .Select(m => new TrainPoint(m.Iteration, m.OutcomeAccuracy, m.MeanTokens, m.RedundantShare)).ToList();
                    runs.Add(new RunResult(method, update, seed, s.Iterations, s.Iterations * s.Prompts * s.Samples, seconds, final, curve, train));
                    Console.Error.WriteLine($"{method,-8} {update,-4} seed {seed}: greedy {final.Accuracy:P1}, pass@1 {final.PassAt1:P1}, " +
                        $"{final.MeanTokens:F1} tokens, redundant {final.RedundantShare:P1} ({seconds:F0} s)");
                }

        Directory.CreateDirectory(s.ResultsDir);
        var stem = Path.Combine(s.ResultsDir, $"{s.Title}-{DateTime.UtcNow:yyyy-MM-dd}");
        File.WriteAllText(stem + ".json", JsonSerializer.Serialize(new { runs, base_model = baseline }, new JsonSerializerOptions { WriteIndented = true }));
        File.WriteAllText(stem + ".md", Table(s, baseline, runs, clock.Elapsed));
        Plot(stem + ".png", runs);
        Console.WriteLine($"wrote {stem}.json, .md, .png ({clock.Elapsed.TotalMinutes:F1} min)");
        return 0;
    }

    public static bool IsMethod(string name) => AdvantageNames.All.ContainsKey(name);

    /// <summary>A policy folder on the held-out problems: greedy accuracy, length and redundancy; pass@1, length and redundancy of T = 1 samples.</summary>
    private static Final FinalOf(string modelDir, IReadOnlyList<Models.Tasks.TaskProblem> problems, Settings s)
    {
        using var engine = RolloutEngine.Open(modelDir);
        var greedy = EngineEvaluation.Run(engine, problems, new GenerationOptions { MaxNewTokens = 160, BatchSize = 64, Sampling = new SamplingParams { Greedy = true } });
        var sampled = EngineEvaluation.Run(engine, problems, new GenerationOptions
        {
            MaxNewTokens = 160, BatchSize = 64, SamplesPerPrompt = s.FinalSamples, Seed = 12345, Sampling = new SamplingParams { Temperature = 1 },
        });
        return new Final(greedy.Accuracy, sampled.PassAt1, greedy.MeanTokens, greedy.RedundantTokenShare, sampled.MeanTokens, sampled.RedundantTokenShare,
            DifficultyMetrics.Of(greedy));
    }

    private static string Table(Settings s, Final baseline, List<RunResult> runs, TimeSpan wall)
    {
        var md = new StringBuilder();
        md.AppendLine($"# L2T against GRPO in miniature ({DateTime.UtcNow:yyyy-MM-dd})");
        md.AppendLine();
        md.AppendLine($"Model `{s.Model}`; {s.Iterations} iterations × {s.Prompts} prompts × {s.Samples} rollouts (T = 1) per run, the same for every method; " +
            $"seeds {string.Join(", ", s.Seeds)}; β = {s.Beta}; learning rate {s.CoreLearningRate ?? TrainingOptions.DefaultLearningRate(UpdateKind.Core)} (core), " +
            $"{s.FullLearningRate ?? TrainingOptions.DefaultLearningRate(UpdateKind.Full)} (full). Final policies on {s.FinalProblems} held-out problems: greedy accuracy, mean completion tokens and " +
            $"redundant-token share of greedy decoding, and pass@1, mean tokens and redundant share of {s.FinalSamples} samples per problem at T = 1 " +
            $"(the distribution RL trains). Mean over seeds, (min – max) beside it. Wall time {wall.TotalMinutes:F0} min " +
            $"on {Environment.ProcessorCount} cores.");
        md.AppendLine();
        md.AppendLine("| method | update | greedy accuracy % | greedy tokens | greedy tokens / grpo's | greedy redundant % | pass@1 (T = 1) % | T = 1 tokens | T = 1 tokens / grpo's | T = 1 redundant % | seconds per run |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|");
        md.AppendLine($"| base model | – | {100 * baseline.Accuracy:F1} | {baseline.MeanTokens:F1} | | {100 * baseline.RedundantShare:F1} | {100 * baseline.PassAt1:F1} | " +
            $"{baseline.SampledMeanTokens:F1} | | {100 * baseline.SampledRedundantShare:F1} | |");
        foreach (var group in runs.GroupBy(r => (r.Update, r.Method)))
        {
            var grpo = runs.Where(r => r.Update == group.Key.Update && r.Method == "grpo").Select(r => r.Final).ToList();
            double GrpoMean(Func<Final, double> value) => grpo.Count == 0 ? double.NaN : grpo.Average(value);
            var f = group.Select(r => r.Final).ToList();
            md.AppendLine($"| {group.Key.Method} | {group.Key.Update} | {Spread(f, x => 100 * x.Accuracy, "F1")} | {Spread(f, x => x.MeanTokens, "F1")} | " +
                $"{f.Average(x => x.MeanTokens) / GrpoMean(x => x.MeanTokens):F2} | {Spread(f, x => 100 * x.RedundantShare, "F1")} | {Spread(f, x => 100 * x.PassAt1, "F1")} | " +
                $"{Spread(f, x => x.SampledMeanTokens, "F1")} | {f.Average(x => x.SampledMeanTokens) / GrpoMean(x => x.SampledMeanTokens):F2} | " +
                $"{Spread(f, x => 100 * x.SampledRedundantShare, "F1")} | {group.Average(r => r.Seconds):F0} |");
        }
        md.AppendLine();
        md.AppendLine("Per difficulty (operations in the chain): greedy accuracy % / mean tokens, mean over seeds.");
        md.AppendLine();
        var difficulties = baseline.ByDifficulty.Keys.Order().ToList();
        md.AppendLine($"| method | update | {string.Join(" | ", difficulties.Select(d => $"{d} ops"))} |");
        md.AppendLine($"|---|---|{string.Concat(difficulties.Select(_ => "---|"))}");
        md.AppendLine($"| base model | – | {string.Join(" | ", difficulties.Select(d => $"{100 * baseline.ByDifficulty[d].Accuracy:F0} / {baseline.ByDifficulty[d].MeanTokens:F1}"))} |");
        foreach (var group in runs.GroupBy(r => (r.Update, r.Method)))
            md.AppendLine($"| {group.Key.Method} | {group.Key.Update} | " + string.Join(" | ", difficulties.Select(d =>
                $"{group.Average(r => 100 * r.Final.ByDifficulty[d].Accuracy):F0} / {group.Average(r => r.Final.ByDifficulty[d].MeanTokens):F1}")) + " |");
        return md.ToString();
    }

    private static string Spread(List<Final> finals, Func<Final, double> value, string format)
    {
        var values = finals.Select(value).ToList();
        return $"{values.Average().ToString(format)} ({values.Min().ToString(format)} – {values.Max().ToString(format)})";
    }

    /// <summary>
    /// Mean over seeds against iteration, one line per method and update (dashed: full): held-out greedy accuracy and
    /// tokens, and the training rollouts' (T = 1) tokens.
    /// </summary>
    private static void Plot(string path, List<RunResult> runs)
    {
        var multiplot = new Multiplot();
        multiplot.AddPlots(3);
        var (accuracy, tokens, sampled) = (multiplot.GetPlot(0), multiplot.GetPlot(1), multiplot.GetPlot(2));
        foreach (var group in runs.GroupBy(r => (r.Update, r.Method)))
        {
            var label = $"{group.Key.Method} ({group.Key.Update})";
            var evalX = group.First().Curve.Select(e => (double)e.Iteration).ToArray();
            var trainX = group.First().TrainCurve.Select(e => (double)e.Iteration).ToArray();
            var lines = new[]
            {
                accuracy.Add.Scatter(evalX, evalX.Select((_, i) => group.Average(r => 100 * r.Curve[i].Accuracy)).ToArray()),
                tokens.Add.Scatter(evalX, evalX.Select((_, i) => group.Average(r => r.Curve[i].MeanTokens)).ToArray()),
                sampled.Add.Scatter(trainX, trainX.Select((_, i) => group.Average(r => r.TrainCurve[i].MeanTokens)).ToArray()),
            };
            foreach (var line in lines)
            {
                line.LegendText = label;
                line.MarkerSize = 3;
                if (group.Key.Update == "full") line.LinePattern = LinePattern.Dashed;
            }
        }
        accuracy.Title("L2T against GRPO: mean over seeds");
        accuracy.YLabel("held-out greedy accuracy (%)");
        tokens.YLabel("held-out greedy tokens");
        sampled.YLabel("training rollouts' tokens (T = 1)");
        sampled.XLabel("iteration");
        foreach (var plot in new[] { accuracy, tokens, sampled }) plot.ShowLegend(Alignment.UpperRight);
        multiplot.SavePng(path, 1000, 1100);
    }
}
