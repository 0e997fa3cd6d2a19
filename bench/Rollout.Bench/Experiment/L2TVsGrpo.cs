using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Rollout.Engine;
using Rollout.Engine.Generation;
using Rollout.Engine.Sampling;
using Rollout.Kernels;
using Rollout.Training;
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
    public sealed record Settings(string Model, string[] Methods, string[] Updates, int[] Seeds, int Iterations, int Prompts, int Samples,
        int EvalEvery, int EvalProblems, int FinalProblems, int FinalSamples, double? CoreLearningRate, double? FullLearningRate,
        string RunsDir, string ResultsDir);

    public sealed record Final(
        [property: JsonPropertyName("accuracy")] double Accuracy,
        [property: JsonPropertyName("pass_at_1")] double PassAt1,
        [property: JsonPropertyName("mean_tokens")] double MeanTokens,
        [property: JsonPropertyName("redundant_share")] double RedundantShare,
        [property: JsonPropertyName("by_difficulty")] IReadOnlyDictionary<int, DifficultyMetrics> ByDifficulty);

    public sealed record RunResult(
        [property: JsonPropertyName("method")] string Method,
        [property: JsonPropertyName("update")] string Update,
        [property: JsonPropertyName("seed")] int Seed,
        [property: JsonPropertyName("iterations")] int Iterations,
        [property: JsonPropertyName("rollouts")] int Rollouts,
        [property: JsonPropertyName("seconds")] double Seconds,
        [property: JsonPropertyName("final")] Final Final,
        [property: JsonPropertyName("curve")] IReadOnlyList<EvalMetrics> Curve);

    public static int Run(Settings s)
    {
        var clock = Stopwatch.StartNew();
        var heldOut = TaskProblems.HeldOut(s.FinalProblems);
        var baseline = FinalOf(s.Model, heldOut, s);
        Console.Error.WriteLine($"base model: greedy {baseline.Accuracy:P1}, pass@1 {baseline.PassAt1:P1}, {baseline.MeanTokens:F1} tokens, redundant {baseline.RedundantShare:P1}");
        var runs = new List<RunResult>();
        foreach (var update in s.Updates)
            foreach (var method in s.Methods)
                foreach (var seed in s.Seeds)
                {
                    var dir = Path.Combine(s.RunsDir, $"{method}-{update}-seed{seed}");
                    if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
                    var kind = update == "full" ? UpdateKind.Full : UpdateKind.Core;
                    var options = new TrainingOptions
                    {
                        ModelDir = s.Model, OutDir = dir, Advantage = AdvantageNames[method], Update = kind, Iterations = s.Iterations,
                        Prompts = s.Prompts, Samples = s.Samples, Seed = seed, EvalEvery = s.EvalEvery, EvalProblems = s.EvalProblems,
                        LearningRate = kind == UpdateKind.Core ? s.CoreLearningRate : s.FullLearningRate,
                    };
                    var started = Stopwatch.StartNew();
                    TrainingRun.Run(options, _ => { });
                    var seconds = started.Elapsed.TotalSeconds;
                    var final = FinalOf(Path.Combine(dir, TrainingRun.PolicyFolder), heldOut, s);
                    var curve = File.ReadLines(Path.Combine(dir, TrainingRun.EvalFile)).Select(l => JsonSerializer.Deserialize<EvalMetrics>(l)!).ToList();
                    runs.Add(new RunResult(method, update, seed, s.Iterations, s.Iterations * s.Prompts * s.Samples, seconds, final, curve));
                    Console.Error.WriteLine($"{method,-8} {update,-4} seed {seed}: greedy {final.Accuracy:P1}, pass@1 {final.PassAt1:P1}, " +
                        $"{final.MeanTokens:F1} tokens, redundant {final.RedundantShare:P1} ({seconds:F0} s)");
                }

        Directory.CreateDirectory(s.ResultsDir);
        var stem = Path.Combine(s.ResultsDir, $"l2t-vs-grpo-{DateTime.UtcNow:yyyy-MM-dd}");
        File.WriteAllText(stem + ".json", JsonSerializer.Serialize(new { runs, base_model = baseline }, new JsonSerializerOptions { WriteIndented = true }));
        File.WriteAllText(stem + ".md", Table(s, baseline, runs, clock.Elapsed));
        Plot(stem + ".png", runs);
        Console.WriteLine($"wrote {stem}.json, .md, .png ({clock.Elapsed.TotalMinutes:F1} min)");
        return 0;
    }

    private static readonly Dictionary<string, AdvantageBaseline> AdvantageNames = new()
    {
        ["grpo"] = AdvantageBaseline.Grpo, ["length"] = AdvantageBaseline.Length, ["l2t"] = AdvantageBaseline.L2T, ["l2t-rtg"] = AdvantageBaseline.L2TRewardToGo,
    };

    public static bool IsMethod(string name) => AdvantageNames.ContainsKey(name);

    /// <summary>A policy folder on the held-out problems: greedy accuracy and length, and pass@1 over T = 1 samples.</summary>
    private static Final FinalOf(string modelDir, IReadOnlyList<Models.Tasks.TaskProblem> problems, Settings s)
    {
        using var engine = RolloutEngine.Open(modelDir);
        var greedy = HeldOutEvaluation.Run(engine, problems, new GenerationOptions { MaxNewTokens = 160, BatchSize = 64, Sampling = new SamplingParams { Greedy = true } });
        var sampled = HeldOutEvaluation.Run(engine, problems, new GenerationOptions
        {
            MaxNewTokens = 160, BatchSize = 64, SamplesPerPrompt = s.FinalSamples, Seed = 12345, Sampling = new SamplingParams { Temperature = 1 },
        });
        return new Final(greedy.Accuracy, sampled.Accuracy, greedy.MeanTokens, greedy.RedundantShare, greedy.ByDifficulty);
    }

    private static string Table(Settings s, Final baseline, List<RunResult> runs, TimeSpan wall)
    {
        var md = new StringBuilder();
        md.AppendLine($"# L2T against GRPO in miniature ({DateTime.UtcNow:yyyy-MM-dd})");
        md.AppendLine();
        md.AppendLine($"Model `{s.Model}`; {s.Iterations} iterations × {s.Prompts} prompts × {s.Samples} rollouts (T = 1) per run, the same for every method; " +
            $"seeds {string.Join(", ", s.Seeds)}. Final policies on {s.FinalProblems} held-out problems: greedy accuracy, mean completion tokens and " +
            $"redundant-token share (greedy), pass@1 over {s.FinalSamples} samples at T = 1. Mean over seeds, (min – max) beside it. Wall time {wall.TotalMinutes:F0} min " +
            $"on {Environment.ProcessorCount} cores.");
        md.AppendLine();
        md.AppendLine("| method | update | greedy accuracy | pass@1 | mean tokens | tokens / grpo's | redundant share | seconds per run |");
        md.AppendLine("|---|---|---|---|---|---|---|---|");
        md.AppendLine($"| base model | – | {baseline.Accuracy:P1} | {baseline.PassAt1:P1} | {baseline.MeanTokens:F1} | | {baseline.RedundantShare:P1} | |");
        foreach (var group in runs.GroupBy(r => (r.Update, r.Method)))
        {
            var grpo = runs.Where(r => r.Update == group.Key.Update && r.Method == "grpo").Select(r => r.Final.MeanTokens).DefaultIfEmpty(double.NaN).Average();
            var f = group.Select(r => r.Final).ToList();
            md.AppendLine($"| {group.Key.Method} | {group.Key.Update} | {Spread(f, x => 100 * x.Accuracy, "F1")} | {Spread(f, x => 100 * x.PassAt1, "F1")} | " +
                $"{Spread(f, x => x.MeanTokens, "F1")} | {f.Average(x => x.MeanTokens) / grpo:F2} | {Spread(f, x => 100 * x.RedundantShare, "F1")} | {group.Average(r => r.Seconds):F0} |");
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

    /// <summary>Held-out greedy accuracy and mean tokens against iteration, mean over seeds, one line per method and update.</summary>
    private static void Plot(string path, List<RunResult> runs)
    {
        var multiplot = new Multiplot();
        multiplot.AddPlots(2);
        var (accuracy, tokens) = (multiplot.GetPlot(0), multiplot.GetPlot(1));
        foreach (var group in runs.GroupBy(r => (r.Update, r.Method)))
        {
            var iterations = group.First().Curve.Select(e => (double)e.Iteration).ToArray();
            double Mean(int i, Func<EvalMetrics, double> value) => group.Average(r => value(r.Curve[i]));
            var label = $"{group.Key.Method} ({group.Key.Update})";
            var a = accuracy.Add.Scatter(iterations, iterations.Select((_, i) => 100 * Mean(i, e => e.Accuracy)).ToArray());
            a.LegendText = label;
            var t = tokens.Add.Scatter(iterations, iterations.Select((_, i) => Mean(i, e => e.MeanTokens)).ToArray());
            t.LegendText = label;
            if (group.Key.Update == "full") { a.LinePattern = LinePattern.Dashed; t.LinePattern = LinePattern.Dashed; }
        }
        accuracy.Title("held-out greedy, mean over seeds");
        accuracy.YLabel("accuracy (%)");
        tokens.YLabel("mean completion tokens");
        tokens.XLabel("iteration");
        accuracy.ShowLegend(Alignment.LowerLeft);
        tokens.ShowLegend(Alignment.LowerLeft);
        multiplot.SavePng(path, 1000, 900);
    }
}
