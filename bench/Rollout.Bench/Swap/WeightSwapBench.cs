using System.Diagnostics;
using System.Text;
using Rollout.Engine;
using Rollout.Engine.Generation;
using Rollout.Engine.Prompts;
using Rollout.Engine.Sampling;
using Rollout.Models.Weights;

namespace Rollout.Bench.Swap;

/// <summary>
/// Times <see cref="RolloutEngine.UpdateWeights"/> with every tensor of a model (a full update's sync), the head's
/// re-factoring after it, and greedy generation before and after (the swapped session runs without constant folding).
/// </summary>
public static class WeightSwapBench
{
    private const int Rounds = 5, Batch = 16, NewTokens = 64;

    public static int Run(IReadOnlyList<(string Name, string Dir)> models, string resultsDir)
    {
        var report = new StringBuilder();
        report.AppendLine($"# Weight swap ({DateTime.UtcNow:yyyy-MM-dd}, {Environment.ProcessorCount} cores)").AppendLine();
        report.AppendLine($"`dotnet run --project bench/Rollout.Bench -c Release -- swap`: medians of {Rounds} swaps with every tensor; greedy generation of {Batch} rows × {NewTokens} tokens, EOS ignored, medians of {Rounds}.").AppendLine();
        report.AppendLine("| model | parameters | swap | head SVD after it (rank 32) | generate before | generate after |");
        report.AppendLine("|---|---|---|---|---|---|");
        foreach (var (name, dir) in models)
        {
            var weights = FolderWeights.Read(dir);
            // New values of the same shapes, as a trainer hands over after a step.
            var tensors = weights.Tensors.ToDictionary(t => t.Key, t => t.Value.Data.Select(w => w * 1.001f).ToArray());
            long parameters = tensors.Values.Sum(t => (long)t.Length);
            using var engine = RolloutEngine.Open(dir);
            var prompts = engine.Encode(Enumerable.Range(0, Batch).Select(i => new Prompt($"p{i}", $"{i + 1}. Compute 12 + 7 - 5 + 30.", null, null, null)));
            var options = new GenerationOptions { Sampling = new SamplingParams { Greedy = true }, MaxNewTokens = NewTokens, IgnoreEos = true, BatchSize = Batch };
            double Generate() => Time(() => engine.Generate(prompts, options).ToList());
            Generate();
            double before = Median(Enumerable.Range(0, Rounds).Select(_ => Generate()));
            var swaps = new List<double>();
            var svds = new List<double>();
            var l2t = new L2TGeneration();
            for (int r = 0; r < Rounds; r++)
            {
                swaps.Add(engine.UpdateWeights(tensors).TotalSeconds);
                svds.Add(Time(() => engine.HeadFactors(l2t)));
            }
            Generate();
            double after = Median(Enumerable.Range(0, Rounds).Select(_ => Generate()));
            var line = $"| {name} | {parameters / 1e6:F1} M | {Median(swaps) * 1000:F0} ms | {Median(svds) * 1000:F0} ms | {before:F3} s | {after:F3} s |";
            Console.WriteLine(line);
            report.AppendLine(line);
        }
        Directory.CreateDirectory(resultsDir);
        var path = Path.Combine(resultsDir, $"weight-swap-{DateTime.UtcNow:yyyy-MM-dd}.md");
        File.WriteAllText(path, report.ToString());
        Console.WriteLine($"written {path}");
        return 0;
    }

    private static double Time(Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        return clock.Elapsed.TotalSeconds;
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
