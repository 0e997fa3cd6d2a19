using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using System.Diagnostics;
using Rollout.Cluster.Contracts;
using Rollout.Cluster.Membership;
using Rollout.Engine;
using Rollout.Engine.Generation;
using Rollout.Kernels;

namespace Rollout.Cluster.Client;

/// <summary>
/// The rollouts of a cluster of <c>rollout worker</c>s, behind the local engine's interface: the same requests give the
/// same rollouts (tokens identical, floats within float32 summation order), in request order. Prompt groups are the
/// unit of work; the workers' joins, losses and rates are reported on <c>log</c>.
/// </summary>
public sealed class ClusterGenerator : IRolloutGenerator
{
    private readonly IHost _host;
    private readonly IClusterClient _client;
    private readonly Action<string> _log;
    private ClusterRun? _run;
    private WeightsMessage? _weights;

    private ClusterGenerator(IHost host, Action<string> log)
    {
        _host = host;
        _client = host.Services.GetRequiredService<IClusterClient>();
        _log = log;
    }

    /// <summary>Connects to the cluster (<c>dev</c> or a PostgreSQL connection string), waiting up to <paramref name="wait"/> for a worker's gateway.</summary>
    public static ClusterGenerator Connect(string connection, Action<string>? log = null, TimeSpan? wait = null)
    {
        var cluster = ClusterConnection.Parse(connection);
        var say = log ?? (_ => { });
        var deadline = DateTime.UtcNow + (wait ?? TimeSpan.FromSeconds(60));
        bool said = false;
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        // Signals stay with the application (generate stops between lines on SIGINT), not with this client's host.
        builder.Services.AddSingleton<IHostLifetime, NoSignals>();
        builder.UseOrleansClient(client =>
        {
            cluster.ConfigureClient(client);
            client.UseConnectionRetryFilter(async (_, cancel) =>
            {
                if (DateTime.UtcNow > deadline) return false;
                if (!said) say("rollout: waiting for a worker's gateway");
                said = true;
                await Task.Delay(1000, cancel);
                return true;
            });
        });
        var host = builder.Build();
        try { host.StartAsync().GetAwaiter().GetResult(); }
        catch (Exception e) when (e is not InputException)
        {
            host.Dispose();
            throw new InputException($"--cluster: no worker answers ({e.Message})", e);
        }
        return new ClusterGenerator(host, say);
    }

    public IEnumerable<RolloutResult> Generate(IReadOnlyList<GenerationRequest> requests, Action<SampledToken>? onToken = null,
        int skip = 0, CancellationToken cancel = default)
    {
        if (requests.Count > 0 && requests[0].Options.L2T?.Options.Scope == FisherScope.Batch)
            throw new InputException("--scope batch normalizes over the whole batch on one machine; a cluster scores groups (--scope group)");
        foreach (var request in requests) request.Options.Validate();
        return Run(requests, onToken, skip, cancel);
    }

    private IEnumerable<RolloutResult> Run(IReadOnlyList<GenerationRequest> requests, Action<SampledToken>? onToken, int skip, CancellationToken cancel)
    {
        // The group of the first rollout not skipped, and how many of its samples are.
        int first = 0;
        while (first < requests.Count && skip >= requests[first].Options.SamplesPerPrompt) skip -= requests[first++].Options.SamplesPerPrompt;
        using var run = _run = new ClusterRun(_client, requests, first, _log, _weights);
        for (int g = first; g < requests.Count; g++)
        {
            if (requests[g].Cancellation.IsCancellationRequested) continue;
            var done = run.Take(g, cancel);
            var work = Contracts.GroupWork.From(Guid.Empty, g, requests[g]);
            for (int s = g == first ? skip : 0; s < done.Rollouts.Length; s++)
            {
                var rollout = done.Rollouts[s].ToResult(work, s);
                if (onToken != null)
                    for (int t = 0; t < rollout.TokenIds.Length; t++) onToken(new SampledToken(g, s, rollout.TokenIds[t], rollout.Logprobs[t]));
                yield return rollout;
            }
        }
        Report(run);
    }

    /// <summary>
    /// Samples from new weights from the next Generate call on: each worker gets them (once) before it gets a group,
    /// a worker that joins later too. Returns the time to take them (the transfer happens at the next call).
    /// </summary>
    public TimeSpan UpdateWeights(IReadOnlyDictionary<string, float[]> tensors)
    {
        var clock = Stopwatch.StartNew();
        _weights = WeightsMessage.From(tensors);
        return clock.Elapsed;
    }

    /// <summary>The workers of the current (or last) run.</summary>
    public IReadOnlyList<WorkerStatus> Workers => _run?.Workers() ?? [];

    /// <summary>Every group's round trip against its time in the worker's queue and engine, in the current (or last) run.</summary>
    public IReadOnlyList<GroupTiming> Timings => _run?.Timings() ?? [];

    /// <summary>The progress line's detail: each live worker's rates and queue depth.</summary>
    public string Describe() => string.Join("; ", Workers.Where(w => w.Live).Select(w =>
        $"{Short(w.Address)} {w.RolloutsPerSecond:F1} rollouts/s {w.TokensPerSecond:F0} tok/s q{w.Holding}"));

    private void Report(ClusterRun run)
    {
        foreach (var w in run.Workers())
            _log($"rollout: worker {Short(w.Address)}: {w.Groups} groups, {w.Rollouts} rollouts, {w.Tokens} tokens, " +
                 $"{w.RolloutsPerSecond:F1} rollouts/s, {w.TokensPerSecond:F0} tokens/s{(w.Reassigned > 0 ? $", {w.Reassigned} groups reassigned" : "")}{(w.Live ? "" : ", lost")}");
        var timings = run.Timings();
        if (timings.Count == 0) return;
        static double Median(IEnumerable<double> xs) { var s = xs.Order().ToArray(); return s[s.Length / 2]; }
        _log($"rollout: per group (median of {timings.Count}): {1000 * Median(timings.Select(t => t.Overhead)):F1} ms outside the engine, " +
             $"{1000 * Median(timings.Select(t => t.Compute)):F1} ms in it, {1000 * Median(timings.Select(t => t.Queued)):F1} ms queued");
    }

    private sealed class NoSignals : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private static string Short(string address) => address.Split('@')[0];

    public void Dispose()
    {
        _host.StopAsync().Wait(TimeSpan.FromSeconds(10));
        _host.Dispose();
    }
}
