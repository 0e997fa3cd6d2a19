using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Rollout.Cluster.Membership;
using Rollout.Engine;
using Rollout.Engine.Model;

namespace Rollout.Cluster.Worker;

/// <summary>What <c>rollout worker</c> runs: an Orleans silo hosting one engine until it is stopped.</summary>
public static class WorkerHost
{
    public sealed record Settings(string ModelDir, ClusterConnection Cluster, int SiloPort, int GatewayPort,
        ExecutionDevice Device, int MaxBatch, IPAddress? Address, int? MetricsPort = null, int Lanes = 1);

    /// <summary>Opens the model, joins the cluster, prints one line with the worker's address, and serves until <paramref name="stop"/> (or SIGINT / SIGTERM).</summary>
    public static void Run(Settings settings, TextWriter output, TextWriter error, CancellationToken stop = default)
    {
        if (settings.MaxBatch < 1) throw new InputException($"--max-batch must be at least 1 (got {settings.MaxBatch})");
        // The model first: a bad folder costs no cluster membership.
        var engine = RolloutEngine.Open(settings.ModelDir, settings.Device, lanes: settings.Lanes);
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        // Orleans' errors only, on stderr: a worker's stdout is its one ready line.
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace).SetMinimumLevel(LogLevel.Error);
        var worker = new WorkerEngine(engine, settings.MaxBatch, line => { lock (error) error.WriteLine(line); });
        builder.Services.AddSingleton(worker);
        builder.UseOrleans(silo =>
        {
            settings.Cluster.ConfigureSilo(silo, settings.SiloPort, settings.GatewayPort, settings.Address);
            silo.AddPlacementDirector<SiloPinnedPlacement, SiloPinnedPlacementDirector>();
        });
        using var host = builder.Build();
        host.StartAsync(stop).GetAwaiter().GetResult();
        var silo = host.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress;
        worker.Address = silo.ToParsableString();
        using var metrics = settings.MetricsPort is { } port ? MetricsEndpoint.Start(port, worker.Metrics) : null;
        output.WriteLine($"worker {silo.ToParsableString()}: model {settings.ModelDir}, max batch {settings.MaxBatch}, cluster {(settings.Cluster.IsDev ? "dev" : "postgres")}");
        output.Flush();
        host.WaitForShutdownAsync(stop).GetAwaiter().GetResult();
    }
}
