using System.Diagnostics;

namespace Rollout.Cluster.Tests.Support;

/// <summary>A <c>rollout worker</c> in a process of its own (as on another machine), started and waited for until it has joined.</summary>
internal sealed class WorkerProcess : IDisposable
{
    private readonly Process _process;

    public int SiloPort { get; }
    public int MetricsPort { get; }
    /// <summary>The silo address it printed (ip:port@generation), as the client's worker list names it.</summary>
    public string Address { get; }

    private WorkerProcess(Process process, int siloPort, int metricsPort, string address) =>
        (_process, SiloPort, MetricsPort, Address) = (process, siloPort, metricsPort, address);

    public static WorkerProcess Start(string model, string cluster, int siloPort, int gatewayPort, int metricsPort, int maxBatch)
    {
        var process = Process.Start(new ProcessStartInfo("dotnet",
            [Path.Combine(AppContext.BaseDirectory, "rollout.dll"), "worker", "--model", model, "--cluster", cluster, "--address", "127.0.0.1",
             "--silo-port", $"{siloPort}", "--gateway-port", $"{gatewayPort}", "--max-batch", $"{maxBatch}", "--metrics-port", $"{metricsPort}"])
            { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var errors = new System.Text.StringBuilder();
        process.ErrorDataReceived += (_, e) => { lock (errors) errors.AppendLine(e.Data); };
        process.BeginErrorReadLine();
        // Its one stdout line says it has joined; a worker that fails says why and exits.
        var ready = process.StandardOutput.ReadLine();
        if (ready == null || !ready.StartsWith("worker ", StringComparison.Ordinal))
        {
            process.WaitForExit();
            lock (errors) throw new InvalidOperationException($"worker on port {siloPort} did not start: {ready} {errors}");
        }
        _ = process.StandardOutput.ReadToEndAsync();
        return new WorkerProcess(process, siloPort, metricsPort, ready["worker ".Length..ready.IndexOf(": ", StringComparison.Ordinal)]);
    }

    /// <summary>A counter or gauge of its <c>GET /metrics</c>.</summary>
    public double Metric(string name)
    {
        using var http = new HttpClient();
        var page = http.GetStringAsync($"http://127.0.0.1:{MetricsPort}/metrics").GetAwaiter().GetResult();
        var line = page.Split('\n').Single(l => l.StartsWith(name + " ", StringComparison.Ordinal));
        return double.Parse(line[(name.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>SIGKILL: the machine is gone mid-work, nothing is said to anyone.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public void Dispose()
    {
        if (!_process.HasExited) Kill();
        _process.Dispose();
    }
}
