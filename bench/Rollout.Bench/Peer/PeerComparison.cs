using System.Diagnostics;
using System.Text.Json;

namespace Rollout.Bench.Peer;

/// <summary>
/// This engine against ONNX Runtime GenAI on issue #9's workloads, on the same model folders and prompts. Every run is a
/// fresh process (so its peak memory is that engine's alone) that warms its engine up before the clock. Within a round
/// the engines alternate, in reverse order every other round, and the rounds interleave the workloads, so drift on the
/// machine hits all alike. <see cref="PeerReport"/> writes the medians.
/// </summary>
public static class PeerComparison
{
    public static int Run(IReadOnlyList<Workload> workloads, int rounds, string cacheDir, string resultsDir, string title)
    {
        var models = BenchModels.Ensure(cacheDir, workloads.Select(w => w.Model).Distinct()).ToDictionary(m => m.Name, m => m.Dir);
        var all = new List<Measurement>();
        for (int round = 0; round < rounds; round++)
            foreach (var workload in workloads)
                foreach (var engine in round % 2 == 0 ? workload.Engines : workload.Engines.Reverse())
                {
                    var m = RunWorker(new WorkerRequest(engine, workload, models[workload.Model]));
                    Console.Error.WriteLine($"round {round + 1}, {workload.Name}: {engine} {m.TokensPerSecond:F1} tokens/s ({m.Tokens} tokens in {m.Seconds:F2} s), " +
                        $"ttft {m.TimeToFirstTokenMs:F1} ms, peak {m.PeakRssMb:F0} MB");
                    all.Add(m);
                }
        Console.WriteLine(PeerReport.Write(resultsDir, title, rounds, workloads, models, all));
        return 0;
    }

    /// <summary>Runs the hidden <c>worker</c> command of this program on <paramref name="request"/>; its last line of output is the measurement.</summary>
    private static Measurement RunWorker(WorkerRequest request)
    {
        var self = Environment.ProcessPath!;
        var info = new ProcessStartInfo(self) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") info.ArgumentList.Add(typeof(PeerComparison).Assembly.Location);
        foreach (var arg in new[] { "worker", "--request", JsonSerializer.Serialize(request) })
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{request.Engine} worker failed (exit {process.ExitCode}) on {request.Workload.Name}, {request.ModelDir}");
        return JsonSerializer.Deserialize<Measurement>(output.Trim().Split('\n')[^1])!;
    }
}
