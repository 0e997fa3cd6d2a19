using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Rollout.Bench.Peer;
using Rollout.Engine;
using Rollout.Engine.Generation;
using Rollout.Engine.Prompts;
using Rollout.Engine.Sampling;
using Rollout.Models.Tasks;
using Rollout.Models.Tasks.Arith;

namespace Rollout.Bench.Serve;

/// <summary>
/// <c>rollout serve</c> under load against offline generation. C clients at once ask <c>/v1/completions</c> for the
/// shipped model's held-out problems (temperature 1, each rollout ending at EOS), each sending its next request when
/// its answer arrives, for S seconds; the server's tokens/s is its <c>/metrics</c> counter over that window. Offline:
/// the engine's Generate of the same problems at the same batch size, in this process while the server idles. Rounds
/// alternate which goes first; medians are reported.
/// </summary>
public static class ServeLoadBench
{
    public sealed record Settings(string ModelDir, string Cli, int MaxBatch, int Clients, int Seconds, int Rounds, int Problems, int MaxTokens, string ResultsDir);

    private sealed record LoadRound(double ServerTokensPerSecond, double ClientTokensPerSecond, double RequestsPerSecond, double MedianLatencyMs,
        double MeanOccupancy, int Errors, double ClientCores, double TokensPerCpuSecond);

    /// <summary>A timed offline window: tokens per second of wall time and per second of this process's CPU time.</summary>
    private sealed record OfflineRound(double TokensPerSecond, double TokensPerCpuSecond);

    public static int Run(Settings s) => RunAsync(s).GetAwaiter().GetResult();

    private static async Task<int> RunAsync(Settings s)
    {
        if (!File.Exists(s.Cli)) throw new ArgumentException($"--cli: {s.Cli} does not exist; build the solution first (dotnet build Rollout.sln -c Release)");
        var problems = new ArithGenerator(seed: 2026).Generate(DataSplit.Test, s.Problems).Select(p => p.ToTaskProblem().Prompt).ToArray();
        using var server = StartServer(s);
        try
        {
            var address = await AddressOf(server);
            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue }) { BaseAddress = address, Timeout = TimeSpan.FromMinutes(5) };
            var model = (string)JsonNode.Parse(await http.GetStringAsync("/v1/models"))!["data"]![0]!["id"]!;
            using var engine = RolloutEngine.Open(s.ModelDir);
            var prompts = engine.Encode(problems.Select((text, i) => new Prompt($"p{i}", text, null, null, null)));

            Console.Error.WriteLine("warming up (10 s of load, one offline call)");
            await Load(http, server, model, problems, s, TimeSpan.FromSeconds(10));
            Offline(engine, prompts, s, TimeSpan.Zero);

            var loads = new List<LoadRound>();
            var offline = new List<OfflineRound>();
            for (int round = 0; round < s.Rounds; round++)
            {
                for (int half = 0; half < 2; half++)
                    if ((round + half) % 2 == 0)
                    {
                        var l = await Load(http, server, model, problems, s, TimeSpan.FromSeconds(s.Seconds));
                        Console.Error.WriteLine($"round {round + 1}: serve {l.ServerTokensPerSecond:F0} tokens/s (clients counted {l.ClientTokensPerSecond:F0}), {l.RequestsPerSecond:F1} requests/s, p50 {l.MedianLatencyMs:F0} ms, occupancy {l.MeanOccupancy:P0}, {l.Errors} errors, clients {l.ClientCores:F2} cores, {l.TokensPerCpuSecond:F0} per CPU second");
                        loads.Add(l);
                    }
                    else
                    {
                        offline.Add(Offline(engine, prompts, s, TimeSpan.FromSeconds(s.Seconds)));
                        Console.Error.WriteLine($"round {round + 1}: offline {offline[^1].TokensPerSecond:F0} tokens/s, {offline[^1].TokensPerCpuSecond:F0} per CPU second");
                    }
            }
            var report = Report(s, loads, offline);
            Directory.CreateDirectory(s.ResultsDir);
            var path = Path.Combine(s.ResultsDir, $"serve-load-{DateTime.UtcNow:yyyy-MM-dd}.md");
            File.WriteAllText(path, report);
            Console.WriteLine(report);
            Console.WriteLine($"written {path}");
        }
        finally
        {
            using (var kill = Process.Start("kill", $"-TERM {server.Id}")) kill.WaitForExit();
            server.WaitForExit();
            Console.Error.WriteLine($"rollout serve exited with {server.ExitCode} on SIGTERM");
        }
        return 0;
    }

    private static Process StartServer(Settings s)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[] { s.Cli, "serve", "--model", s.ModelDir, "--port", "0", "--max-batch", $"{s.MaxBatch}", "--max-queue", $"{4 * s.Clients}" })
            info.ArgumentList.Add(arg);
        return Process.Start(info)!;
    }

    private static async Task<Uri> AddressOf(Process server)
    {
        var line = await server.StandardOutput.ReadLineAsync();
        var match = line == null ? null : Regex.Match(line, @"at (http://\S+)");
        return match is { Success: true } ? new Uri(match.Groups[1].Value) : throw new InvalidOperationException($"rollout serve did not start: {line}");
    }

    /// <summary>C clients for <paramref name="duration"/>; the window's tokens are the server's counter read at its two ends.</summary>
    private static async Task<LoadRound> Load(HttpClient http, Process server, string model, string[] problems, Settings s, TimeSpan duration)
    {
        long before = await GeneratedTokens(http);
        double serverCpu = CpuSeconds(server);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        int next = 0, errors = 0;
        long clientTokens = 0;
        var latencies = new System.Collections.Concurrent.ConcurrentBag<double>();
        var clients = Enumerable.Range(0, s.Clients).Select(_ => Task.Run(async () =>
        {
            while (clock.Elapsed < duration)
            {
                int k = Interlocked.Increment(ref next);
                var body = $$"""{"model": "{{model}}", "prompt": "{{problems[k % problems.Length]}}", "temperature": 1.0, "seed": {{k}}, "max_tokens": {{s.MaxTokens}}}""";
                var start = clock.Elapsed;
                using var response = await http.PostAsync("/v1/completions", new StringContent(body, Encoding.UTF8, "application/json"));
                var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync());
                if (!response.IsSuccessStatusCode) { Interlocked.Increment(ref errors); continue; }
                if (clock.Elapsed > duration) continue; // finished after the window
                latencies.Add((clock.Elapsed - start).TotalMilliseconds);
                Interlocked.Add(ref clientTokens, (long)answer!["usage"]!["completion_tokens"]!);
            }
        })).ToList();
        var occupancy = new List<double>();
        while (clock.Elapsed < duration)
        {
            await Task.Delay(500);
            occupancy.Add(await Metric(http, "rollout_batch_occupancy"));
        }
        long after = await GeneratedTokens(http);
        serverCpu = CpuSeconds(server) - serverCpu;
        double seconds = clock.Elapsed.TotalSeconds;
        double clientCores = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds / seconds;
        await Task.WhenAll(clients);
        var sorted = latencies.Order().ToArray();
        return new LoadRound((after - before) / seconds, clientTokens / duration.TotalSeconds, sorted.Length / duration.TotalSeconds,
            sorted.Length == 0 ? double.NaN : sorted[sorted.Length / 2], occupancy.Average(), errors, clientCores, (after - before) / serverCpu);
    }

    /// <summary>A process's CPU time so far (user + system, from /proc: all its threads, ONNX Runtime's included).</summary>
    private static double CpuSeconds(Process process)
    {
        process.Refresh();
        return process.TotalProcessorTime.TotalSeconds;
    }

    private static async Task<long> GeneratedTokens(HttpClient http) => (long)await Metric(http, "rollout_generated_tokens_total");

    private static async Task<double> Metric(HttpClient http, string name)
    {
        var line = (await http.GetStringAsync("/metrics")).Split('\n').First(l => l.StartsWith(name + " ", StringComparison.Ordinal));
        return double.Parse(line[(name.Length + 1)..], CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The problems at the server's batch size and settings, all of them in one Generate call, again (with the next seed)
    /// until <paramref name="duration"/> has passed (once at least): a window as long as the server's, so both see the machine alike.
    /// </summary>
    private static OfflineRound Offline(RolloutEngine engine, IReadOnlyList<EncodedPrompt> prompts, Settings s, TimeSpan duration)
    {
        var self = Process.GetCurrentProcess();
        double cpu = CpuSeconds(self);
        var clock = Stopwatch.StartNew();
        long tokens = 0;
        ulong seed = 1;
        do
        {
            var options = new GenerationOptions { Sampling = new SamplingParams { Temperature = 1.0 }, MaxNewTokens = s.MaxTokens, BatchSize = s.MaxBatch, Seed = seed++ };
            tokens += engine.Generate(prompts, options).Sum(r => (long)r.TokenIds.Length);
        } while (clock.Elapsed < duration);
        return new OfflineRound(tokens / clock.Elapsed.TotalSeconds, tokens / (CpuSeconds(self) - cpu));
    }

    private static string Report(Settings s, List<LoadRound> loads, List<OfflineRound> offline)
    {
        double Median(IEnumerable<double> values)
        {
            var v = values.Order().ToArray();
            return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
        }
        var text = new StringBuilder();
        text.AppendLine($"# rollout serve under load against offline generate ({DateTime.UtcNow:yyyy-MM-dd})").AppendLine();
        text.AppendLine($"`dotnet run --project bench/Rollout.Bench -c Release -- serve-load --max-batch {s.MaxBatch} --clients {s.Clients} --seconds {s.Seconds} --rounds {s.Rounds}`").AppendLine();
        text.AppendLine($"Machine: {PeerReport.MachineDescription()}. Model: {s.ModelDir}. Workload: {s.Problems} held-out arith problems (raw prompts), temperature 1, " +
            $"max_tokens {s.MaxTokens}, each rollout ending at EOS. Serve: {s.Clients} clients at once on `/v1/completions` (non-streaming, each sends its next request " +
            $"when its answer arrives) for {s.Seconds} s, `--max-batch {s.MaxBatch}`; its tokens/s is the server's `rollout_generated_tokens_total` over the window. " +
            $"Offline: the engine's Generate of all the problems at batch size {s.MaxBatch} (one call, repeated with the next seed for {s.Seconds} s), in the bench process while the server idles. " +
            "The clients run in the bench process on the same machine as the server: their CPU time (client cores) is taken from the server's.").AppendLine();
        text.AppendLine("| round | serve tokens/s | tokens/s counted by the clients | requests/s | median latency (ms) | mean batch occupancy | errors | clients' CPU (cores) | offline tokens/s | serve / offline | serve tokens per CPU s | offline tokens per CPU s | serve / offline per CPU s |");
        text.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        var ratios = loads.Select((l, r) => l.ServerTokensPerSecond / offline[r].TokensPerSecond).ToList();
        var cpuRatios = loads.Select((l, r) => l.TokensPerCpuSecond / offline[r].TokensPerCpuSecond).ToList();
        for (int r = 0; r < loads.Count; r++)
            text.AppendLine($"| {r + 1} | {loads[r].ServerTokensPerSecond:F0} | {loads[r].ClientTokensPerSecond:F0} | {loads[r].RequestsPerSecond:F1} | {loads[r].MedianLatencyMs:F0} | {loads[r].MeanOccupancy:P0} | {loads[r].Errors} | {loads[r].ClientCores:F2} | {offline[r].TokensPerSecond:F0} | {ratios[r]:F2} | {loads[r].TokensPerCpuSecond:F0} | {offline[r].TokensPerCpuSecond:F0} | {cpuRatios[r]:F2} |");
        double serve = Median(loads.Select(l => l.ServerTokensPerSecond)), off = Median(offline.Select(o => o.TokensPerSecond));
        text.AppendLine($"| **median** | **{serve:F0}** | {Median(loads.Select(l => l.ClientTokensPerSecond)):F0} | {Median(loads.Select(l => l.RequestsPerSecond)):F1} | {Median(loads.Select(l => l.MedianLatencyMs)):F0} | {Median(loads.Select(l => l.MeanOccupancy)):P0} | {loads.Sum(l => l.Errors)} | {Median(loads.Select(l => l.ClientCores)):F2} | **{off:F0}** | {Median(ratios):F2} | {Median(loads.Select(l => l.TokensPerCpuSecond)):F0} | {Median(offline.Select(o => o.TokensPerCpuSecond)):F0} | {Median(cpuRatios):F2} |");
        text.AppendLine().AppendLine($"Serve / offline: **{serve / off:F2}×** in tokens/s (ratio of the medians; median of the rounds' ratios {Median(ratios):F2}×; target ≥ 0.9×), " +
            $"{Median(cpuRatios):F2}× in tokens per CPU second (the server process's CPU time, Kestrel and JSON included, against the offline engine's; " +
            "less sensitive than wall time to what else the machine runs). Batch occupancy is sampled from `/metrics` every 0.5 s (0 between calls).");
        return text.ToString();
    }
}
