using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Rollout.Bench.Peer;

/// <summary>
/// This engine against ONNX Runtime GenAI on the same folders, prompts and batch sizes, greedy.
/// Every measurement runs in a fresh process (so peak memory is that engine's alone), and the two
/// engines alternate within each round so drift on the machine hits both alike. Medians are reported.
/// </summary>
public static class PeerComparison
{
    public static readonly string[] Engines = [RolloutWorker.Plain, "onnxruntime-genai"];
    /// <summary>Plain generation, L2T in full, and L2T without answer probes (no reference answers): what the probes cost apart.</summary>
    public static readonly string[] L2TEngines = [RolloutWorker.Plain, RolloutWorker.L2T, RolloutWorker.L2TWithoutProbes];

    /// <param name="engines">The engines to alternate (<see cref="Engines"/> or <see cref="L2TEngines"/>), the first the baseline; the results file is named after <paramref name="title"/>.</param>
    public static int Run(IReadOnlyList<(string Name, string Dir)> models, int[] batches, int newTokens, int rounds, string resultsDir,
        string[] engines, string title)
    {
        var all = new List<Measurement>();
        foreach (var (name, dir) in models)
            foreach (var batch in batches)
                for (int round = 0; round < rounds; round++)
                    foreach (var engine in round % 2 == 0 ? engines : engines.Reverse())
                    {
                        var m = RunWorker(engine, new WorkerRequest(dir, name, batch, newTokens));
                        Console.Error.WriteLine($"{name} batch {batch} round {round + 1}: {engine} {m.TokensPerSecond:F1} tokens/s, ttft {m.TimeToFirstTokenMs:F1} ms, peak {m.PeakRssMb:F0} MB");
                        all.Add(m);
                    }
        Directory.CreateDirectory(resultsDir);
        var stamp = DateTime.UtcNow.ToString("yyyy-MM-dd");
        File.WriteAllText(Path.Combine(resultsDir, $"{title}-{stamp}.json"), JsonSerializer.Serialize(new { machine = MachineDescription(), date = stamp, measurements = all }, new JsonSerializerOptions { WriteIndented = true }));
        var table = Table(all, stamp, engines);
        File.WriteAllText(Path.Combine(resultsDir, $"{title}-{stamp}.md"), table);
        Console.WriteLine(table);
        return 0;
    }

    private static Measurement RunWorker(string engine, WorkerRequest request)
    {
        var self = Environment.ProcessPath!;
        var info = new ProcessStartInfo(self) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") info.ArgumentList.Add(typeof(PeerComparison).Assembly.Location);
        foreach (var arg in new[] { "worker", "--engine", engine, "--model", request.ModelDir, "--name", request.ModelName,
                     "--batch", request.Batch.ToString(), "--new-tokens", request.NewTokens.ToString() })
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{engine} worker failed (exit {process.ExitCode}) on {request.ModelDir}");
        return JsonSerializer.Deserialize<Measurement>(output.Trim().Split('\n')[^1])!;
    }

    private static string Table(List<Measurement> all, string stamp, string[] engines)
    {
        var text = new StringBuilder();
        text.AppendLine($"# End-to-end: {string.Join(" vs ", engines)} ({stamp})");
        text.AppendLine();
        text.AppendLine($"Machine: {MachineDescription()}. Medians of {all.GroupBy(m => (m.Engine, m.Model, m.Batch)).First().Count()} alternating runs, one process per run.");
        text.AppendLine($"Workloads: the random-weight models generate greedy, EOS ignored, from numbered prompts (every row a different prompt); " +
            $"{BenchModels.ArithTask} runs its own task: {WorkerRequest.TaskProblems} held-out problems × {WorkerRequest.TaskSamples} samples, temperature 1, seed 1, each rollout ending at EOS.");
        text.AppendLine();
        text.AppendLine($"| model | batch | engine | tokens/s | wall time (s) | wall time vs {engines[0]} | time to first token (ms) | peak RSS (MB) | same tokens as the others |");
        text.AppendLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var group in all.GroupBy(m => (m.Model, m.Batch)))
        {
            var tokens = group.GroupBy(m => m.Engine).ToDictionary(g => g.Key, g => g.First().FirstSequenceTokens);
            bool same = tokens.Values.Distinct(new SequenceComparer()).Count() == 1;
            double baseline = Median(group.Where(m => m.Engine == engines[0]).Select(m => m.Seconds));
            foreach (var engine in group.GroupBy(m => m.Engine))
            {
                double seconds = Median(engine.Select(m => m.Seconds));
                text.AppendLine($"| {group.Key.Model} | {group.Key.Batch} | {engine.Key} | {Median(engine.Select(m => m.TokensPerSecond)):F1} | {seconds:F3} | {seconds / baseline - 1:+0%;-0%;0%} | {Median(engine.Select(m => m.TimeToFirstTokenMs)):F1} | {Median(engine.Select(m => m.PeakRssMb)):F0} | {(same ? "yes" : "no")} |");
            }
        }
        return text.ToString();
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    public static string MachineDescription()
    {
        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        return $"{cpu}, {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}";
    }

    private sealed class SequenceComparer : IEqualityComparer<int[]>
    {
        public bool Equals(int[]? a, int[]? b) => a.AsSpan().SequenceEqual(b);
        public int GetHashCode(int[] a) => a.Length;
    }
}
