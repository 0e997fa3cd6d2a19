using System.Text;
using System.Text.Json;
using Rollout.Engine.Model;

namespace Rollout.Bench.Peer;

/// <summary>The figures of a <see cref="PeerComparison"/>: a markdown table and the raw runs as JSON, and issue #9's ratios.</summary>
public static class PeerReport
{
    /// <summary>Writes <c>&lt;title&gt;-&lt;date&gt;.md</c> and <c>.json</c> into <paramref name="resultsDir"/>; returns the markdown.</summary>
    public static string Write(string resultsDir, string title, int rounds, IReadOnlyList<Workload> workloads,
        IReadOnlyDictionary<string, string> modelDirs, IReadOnlyList<Measurement> all)
    {
        var stamp = DateTime.UtcNow.ToString("yyyy-MM-dd");
        var models = modelDirs.Select(m => new { name = m.Key, parameters = BenchModels.Parameters(m.Value), config = ModelConfig.Load(Path.Combine(m.Value, "config.json")) }).ToList();
        var rows = workloads.SelectMany(w => w.Engines.Select(e => Row(w, e, all))).ToList();
        var ratios = Ratios(rows, workloads).ToList();

        var text = new StringBuilder();
        text.AppendLine($"# Rollout vs ONNX Runtime GenAI 0.18 on issue #9's workloads ({stamp})");
        text.AppendLine();
        text.AppendLine($"Machine: {MachineDescription()}. {rounds} round{(rounds > 1 ? "s" : "")}: in each, every engine runs every workload once, " +
            "each run its own process that warms its engine up before the clock (one untimed pass over the workload's prompts: the whole task, or 32 tokens per row of the greedy ones); the engines alternate, in reverse " +
            "order every other round. Tokens/s: median, and min–max over the rounds. Peak RSS: the worker process's VmHWM at its end (median).");
        text.AppendLine();
        foreach (var m in models)
            text.AppendLine($"- model {m.name}: {m.config.ModelType}, {m.config.Layers} layers, hidden {m.config.Hidden}, {m.config.Heads} heads / {m.config.KvHeads} KV heads, " +
                $"intermediate {m.config.Intermediate}, vocabulary {m.config.VocabSize}{(m.config.TieWordEmbeddings ? ", head tied to the embedding" : "")}: {m.parameters / 1e6:F1} M parameters");
        foreach (var w in workloads)
            text.AppendLine($"- workload {w.Name} ({w.Model}): {w.Description}");
        text.AppendLine();
        text.AppendLine($"| workload | engine | tokens per run | tokens/s | min–max | vs {PeerEngines.GenAi} | wall time (s) | time to first token (ms) | peak RSS (MB) | row 0 as {PeerEngines.Rollout}'s |");
        text.AppendLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in rows)
        {
            var genai = rows.FirstOrDefault(g => g.Workload == r.Workload && g.Engine == PeerEngines.GenAi);
            text.AppendLine($"| {r.Workload} | {r.Engine} | {r.Tokens} | {r.TokensPerSecond:F1} | {r.MinTokensPerSecond:F1}–{r.MaxTokensPerSecond:F1} | " +
                $"{(genai is null ? "—" : $"{r.TokensPerSecond / genai.TokensPerSecond:F2}×")} | {r.Seconds:F2} | {r.TimeToFirstTokenMs:F1} | {r.PeakRssMb:F0} | {r.SameAsRollout} |");
        }
        text.AppendLine();
        text.AppendLine("Issue #9's ratios (of median tokens/s):");
        text.AppendLine();
        text.AppendLine("| ratio | value |");
        text.AppendLine("|---|---|");
        foreach (var (name, value) in ratios) text.AppendLine($"| {name} | {value:F2}× |");

        Directory.CreateDirectory(resultsDir);
        var markdown = text.ToString();
        File.WriteAllText(Path.Combine(resultsDir, $"{title}-{stamp}.md"), markdown);
        var json = new
        {
            machine = MachineDescription(), date = stamp, rounds,
            models = models.Select(m => new { m.name, m.parameters, config = m.config.ToJson() }),
            workloads, summary = rows, ratios = ratios.ToDictionary(r => r.Name, r => r.Value), measurements = all,
        };
        File.WriteAllText(Path.Combine(resultsDir, $"{title}-{stamp}.json"), JsonSerializer.Serialize(json, new JsonSerializerOptions { WriteIndented = true }));
        return markdown;
    }

    /// <summary>One engine on one workload over the rounds.</summary>
    public sealed record Summary(string Workload, string Engine, long Tokens, double TokensPerSecond, double MinTokensPerSecond,
        double MaxTokensPerSecond, double Seconds, double TimeToFirstTokenMs, double PeakRssMb, string SameAsRollout);

    private static Summary Row(Workload workload, string engine, IReadOnlyList<Measurement> all)
    {
        var runs = all.Where(m => m.Workload == workload.Name && m.Engine == engine).ToList();
        var rollout = all.FirstOrDefault(m => m.Workload == workload.Name && m.Engine == PeerEngines.Rollout);
        // Greedy rows are the same whatever the engine; sampled ones only under the same sampler and seed.
        string same = engine == PeerEngines.Rollout || rollout is null ? "—"
            : workload.Sampled && engine == PeerEngines.GenAi ? "— (its own sampler)"
            : runs[0].FirstSequenceTokens.AsSpan().SequenceEqual(rollout.FirstSequenceTokens) ? "yes" : "no";
        return new Summary(workload.Name, engine, runs[0].Tokens, Median(runs.Select(m => m.TokensPerSecond)), runs.Min(m => m.TokensPerSecond),
            runs.Max(m => m.TokensPerSecond), Median(runs.Select(m => m.Seconds)), Median(runs.Select(m => m.TimeToFirstTokenMs)),
            Median(runs.Select(m => m.PeakRssMb)), same);
    }

    /// <summary>fixed: rollout --l2t / genai; long: rollout at 2048 / at 128, and rollout / genai; task: rollout --l2t / genai. Those whose
    /// workloads ran.</summary>
    private static IEnumerable<(string Name, double Value)> Ratios(IReadOnlyList<Summary> rows, IReadOnlyList<Workload> workloads)
    {
        double? Rate(string workload, string engine) => rows.FirstOrDefault(r => r.Workload == workload && r.Engine == engine)?.TokensPerSecond;
        int? Tokens(string workload) => workloads.FirstOrDefault(w => w.Name == workload)?.NewTokens;
        var ratios = new (string Name, double? Over, double? Under)[]
        {
            ($"fixed: {PeerEngines.RolloutL2T} / {PeerEngines.GenAi}", Rate("fixed", PeerEngines.RolloutL2T), Rate("fixed", PeerEngines.GenAi)),
            ($"long: {PeerEngines.Rollout} at {Tokens("long")} / at {Tokens("long-128")} tokens", Rate("long", PeerEngines.Rollout), Rate("long-128", PeerEngines.Rollout)),
            ($"long: {PeerEngines.Rollout} / {PeerEngines.GenAi}", Rate("long", PeerEngines.Rollout), Rate("long", PeerEngines.GenAi)),
            ($"task: {PeerEngines.RolloutL2T} / {PeerEngines.GenAi}", Rate("task", PeerEngines.RolloutL2T), Rate("task", PeerEngines.GenAi)),
        };
        return ratios.Where(r => r.Over is not null && r.Under is not null).Select(r => (r.Name, r.Over!.Value / r.Under!.Value));
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>CPU model, cores, memory, OS and runtime.</summary>
    public static string MachineDescription()
    {
        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        var memKb = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:"))?.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        var memory = memKb is null ? "" : $", {long.Parse(memKb) / (1024.0 * 1024):F0} GiB";
        return $"{cpu}, {Environment.ProcessorCount} cores{memory}, {Environment.OSVersion}, .NET {Environment.Version}";
    }
}
