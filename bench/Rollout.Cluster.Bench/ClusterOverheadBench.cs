using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Rollout.Cluster.Client;
using Rollout.Cluster.Contracts;
using Rollout.Engine;
using Rollout.Engine.Generation;
using Rollout.Engine.Model;
using Rollout.Engine.Output;
using Rollout.Engine.Prompts;

namespace Rollout.Cluster.Bench;

/// <summary>
/// What the cluster costs a prompt group beyond the engine: its round trip from the client less the time it waited in
/// the worker's queue and spent in the engine's Generate (serialization, transport, scheduling), against that engine
/// time; and the client's own CPU per group (serializing the work, deserializing the results), which bounds how many
/// workers one client keeps busy. Runs against workers already started on <c>--cluster</c>.
/// </summary>
internal static class ClusterOverheadBench
{
    /// <summary>Seconds per group of <paramref name="step"/>, over 20 passes after an untimed one (the first calls compile the codecs).</summary>
    private static double PerGroup(int groups, Action<int> step)
    {
        for (int i = 0; i < groups; i++) step(i);
        var clock = Stopwatch.StartNew();
        for (int k = 0; k < 20; k++)
            for (int i = 0; i < groups; i++) step(i);
        return clock.Elapsed.TotalSeconds / (20 * groups);
    }

    public static int Run(string cluster, string model, int promptCount, int samples, int maxNewTokens, bool l2t, string resultsDir)
    {
        var prompts = ModelFolder.Open(model).Encode(PromptFile.Read(Path.Combine(model, "test.jsonl")).Take(promptCount));
        var options = new GenerationOptions { SamplesPerPrompt = samples, MaxNewTokens = maxNewTokens, Seed = 1, L2T = l2t ? new L2TGeneration() : null };
        var requests = RolloutEngine.Requests(prompts, options);
        using var generator = ClusterGenerator.Connect(cluster, Console.Error.WriteLine);
        var clock = Stopwatch.StartNew();
        var rollouts = generator.Generate(requests).ToList();
        double wall = clock.Elapsed.TotalSeconds;
        var timings = generator.Timings;
        var workers = generator.Workers.Where(w => w.Groups > 0).ToList();

        // The client's share per group: the work out, the results in (the same messages the run sent, in this process).
        var serializer = new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<Serializer>();
        var work = requests.Select((r, i) => GroupWork.From(Guid.NewGuid(), i, r)).ToList();
        var done = requests.Select((r, i) => new GroupDone(Guid.NewGuid(), i,
            [.. rollouts.Skip(i * samples).Take(samples).Select(RolloutMessage.From)], 0, 0)).ToList();
        var workBytes = work.Select(w => serializer.SerializeToArray(w)).ToList();
        var doneBytes = done.Select(d => serializer.SerializeToArray(d)).ToList();
        double clientPerGroup = PerGroup(work.Count, i =>
        {
            serializer.SerializeToArray(work[i]);
            serializer.Deserialize<GroupDone>(doneBytes[i])!.Rollouts.Select((m, s) => m.ToResult(work[i], s)).Count();
        });
        double workerPerGroup = PerGroup(work.Count, i =>
        {
            serializer.Deserialize<GroupWork>(workBytes[i])!.ToRequest(16, default);
            serializer.SerializeToArray(new GroupDone(Guid.Empty, i, [.. rollouts.Skip(i * samples).Take(samples).Select(RolloutMessage.From)], 0, 0));
        });
        // What generate does with every group on the client besides: its JSONL lines (a local run writes them too).
        var jsonl = Path.Combine(Path.GetTempPath(), $"cluster-bench-{Guid.NewGuid():N}.jsonl");
        double Write()
        {
            clock.Restart();
            using (var writer = RolloutJsonlWriter.Create(jsonl, options))
            {
                foreach (var rollout in rollouts) writer.Write(rollout);
                writer.Commit();
            }
            File.Delete(jsonl);
            return clock.Elapsed.TotalSeconds / work.Count;
        }
        Write();
        double writePerGroup = Enumerable.Range(0, 5).Min(_ => Write());
        double clientTotal = clientPerGroup + writePerGroup;

        static double Quantile(IEnumerable<double> xs, double q) { var s = xs.Order().ToArray(); return s[(int)Math.Min(s.Length - 1, q * s.Length)]; }
        double overhead = Quantile(timings.Select(t => t.Overhead), 0.5), overhead90 = Quantile(timings.Select(t => t.Overhead), 0.9);
        double compute = Quantile(timings.Select(t => t.Compute), 0.5), queued = Quantile(timings.Select(t => t.Queued), 0.5);
        int maxBatch = workers.Count > 0 ? workers[0].MaxBatch : 16;
        int groupsPerBatch = Math.Max(1, maxBatch / samples);
        // One worker's groups/s at full batches: a batch of groupsPerBatch groups every `compute` seconds (a group's engine time is its batch's).
        double groupsPerSecond = groupsPerBatch / compute;

        var md = new StringBuilder();
        var date = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        md.AppendLine($"# Cluster overhead per prompt group, {date}");
        md.AppendLine();
        md.AppendLine($"`dotnet run --project bench/Rollout.Cluster.Bench -c Release -- --cluster CONN --prompts {promptCount} --n {samples} --max-new-tokens {maxNewTokens}{(l2t ? " --l2t" : "")}`");
        md.AppendLine($"against {generator.Workers.Count} worker(s) (`rollout worker --max-batch {maxBatch}`) on the same machine, model `{model}`, membership `{(cluster == "dev" ? "dev" : "PostgreSQL")}`.");
        md.AppendLine($"{prompts.Count} groups of {samples}, {rollouts.Count} rollouts, {rollouts.Sum(r => r.TokenIds.Length)} tokens in {wall:F2} s.");
        md.AppendLine();
        md.AppendLine("| per group | median | p90 |");
        md.AppendLine("|---|---|---|");
        md.AppendLine($"| round trip (client sends → client has the results) | {1000 * Quantile(timings.Select(t => t.RoundTrip), 0.5):F1} ms | {1000 * Quantile(timings.Select(t => t.RoundTrip), 0.9):F1} ms |");
        md.AppendLine($"| waiting in the worker's queue (the batch before it decodes) | {1000 * queued:F1} ms | {1000 * Quantile(timings.Select(t => t.Queued), 0.9):F1} ms |");
        md.AppendLine($"| in the engine's Generate (its batch's start → its last sample) | {1000 * compute:F1} ms | {1000 * Quantile(timings.Select(t => t.Compute), 0.9):F1} ms |");
        md.AppendLine($"| **outside the engine** (round trip − queue − engine: serialization, transport, scheduling) | **{1000 * overhead:F1} ms** | {1000 * overhead90:F1} ms |");
        md.AppendLine($"| client CPU (serialize the work, deserialize the results, in one process) | {1e6 * clientPerGroup:F0} µs | |");
        md.AppendLine($"| client CPU writing the group's JSONL lines (generate; a local run writes them too) | {1e6 * writePerGroup:F0} µs | |");
        md.AppendLine($"| worker CPU (the same on the worker's side) | {1e6 * workerPerGroup:F0} µs | |");
        md.AppendLine($"| bytes: work / results | {workBytes.Average(b => b.Length):F0} B / {doneBytes.Average(b => b.Length):F0} B | |");
        md.AppendLine();
        md.AppendLine("Per worker (rates since it joined):");
        md.AppendLine();
        foreach (var w in workers) md.AppendLine($"- {w.Address.Split('@')[0]}: {w.Groups} groups, {w.RolloutsPerSecond:F1} rollouts/s, {w.TokensPerSecond:F0} tokens/s");
        md.AppendLine();
        md.AppendLine("## Projection");
        md.AppendLine();
        md.AppendLine($"A worker holds two batches (one decoding, one queued), so the {1000 * overhead:F0} ms a group spends outside the engine overlaps the");
        md.AppendLine($"batch in front of it and costs the worker nothing while it is shorter than a batch ({1000 * compute:F0} ms here). What does not overlap is");
        md.AppendLine($"the client: it serializes and deserializes every group ({1e6 * clientPerGroup:F0} µs of CPU here) and `generate` writes its lines");
        md.AppendLine($"({1e6 * writePerGroup:F0} µs), {1e6 * clientTotal:F0} µs in all, so one client takes at most {1 / clientTotal:F0} groups/s. With W workers each finishing");
        md.AppendLine("g groups/s alone, the efficiency (cluster throughput over W times one worker's) is min(1, 1 / (W · g · client CPU per group)).");
        md.AppendLine();
        md.AppendLine("| worker speed g (groups/s per worker) | 8 workers | 64 workers |");
        md.AppendLine("|---|---|---|");
        foreach (var (label, g) in new[] { ($"this CPU worker: {groupsPerSecond:F1}", groupsPerSecond), ($"10× ({10 * groupsPerSecond:F0})", 10 * groupsPerSecond), ($"100× ({100 * groupsPerSecond:F0})", 100 * groupsPerSecond) })
            md.AppendLine($"| {label} | {100 * Math.Min(1, 1 / (8 * g * clientTotal)):F0}% | {100 * Math.Min(1, 1 / (64 * g * clientTotal)):F0}% |");
        md.AppendLine();
        md.AppendLine($"Put the other way: 8 workers stay at 90% or more while each finishes up to {1 / (0.9 * 8 * clientTotal):F0} groups/s, 64 workers up to {1 / (0.9 * 64 * clientTotal):F0}");
        md.AppendLine("groups/s. For GPU workers the figure is that bound at their own g: a GPU worker that takes 1 s per group of 8 (g = 1,");
        md.AppendLine($"e.g. batches of 64 sequences decoding 8 s) is {100 * Math.Min(1, 1 / (8 * clientTotal)):F0}% efficient with 8 workers and {100 * Math.Min(1, 1 / (64 * clientTotal)):F0}% with 64; one at 0.1 s per group (g = 10)");
        md.AppendLine($"{100 * Math.Min(1, 1 / (80 * clientTotal)):F0}% and {100 * Math.Min(1, 1 / (640 * clientTotal)):F0}%. Past the bound, more clients (one per slice of the prompts) or writing fewer fields scale it.");
        md.AppendLine();
        md.AppendLine("The latency that overlaps must also stay below a batch: it does while a GPU batch decodes for longer than the");
        md.AppendLine($"p90 overhead ({1000 * overhead90:F0} ms), true of any batch of hundreds of tokens (tens of ms per step for a model worth a GPU).");
        md.AppendLine("Measured on the 2-core CI machine kind shared with other work (load average 20–28 while measured): the client, the workers and");
        md.AppendLine("PostgreSQL share the same two cores, so these times are upper bounds for separate machines.");

        Directory.CreateDirectory(resultsDir);
        var path = Path.Combine(resultsDir, $"cluster-overhead-{date}.md");
        File.WriteAllText(path, md.ToString());
        Console.WriteLine(md);
        Console.WriteLine($"written: {path}");
        return 0;
    }
}
