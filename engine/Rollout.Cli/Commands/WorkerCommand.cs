using System.CommandLine;
using System.Net;
using Rollout.Cluster.Membership;
using Rollout.Cluster.Worker;
using Rollout.Engine;

namespace Rollout.Cli.Commands;

/// <summary><c>worker</c>: one engine serving a cluster's <c>generate --cluster</c> clients until stopped.</summary>
internal static class WorkerCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model folder (the clients' --model, the same files)", Required = true };
        var cluster = new Option<string>("--cluster") { Description = "dev (one machine) or a PostgreSQL connection string, the same for every worker and client", Required = true };
        var siloPort = new Option<int>("--silo-port") { Description = "Port the workers talk on", DefaultValueFactory = _ => ClusterConnection.DefaultSiloPort };
        var gatewayPort = new Option<int>("--gateway-port") { Description = "Port clients connect to", DefaultValueFactory = _ => ClusterConnection.DefaultGatewayPort };
        var address = new Option<string?>("--address") { Description = "IP address other machines reach this one at (default: the host name's)" };
        var device = new Option<string>("--device") { Description = "Execution provider: cpu | cuda", DefaultValueFactory = _ => "cpu" };
        var maxBatch = new Option<int>("--max-batch") { Description = "Sequences decoded together", DefaultValueFactory = _ => 16 };
        var metricsPort = new Option<int?>("--metrics-port") { Description = "Serve GET /metrics (Prometheus text: groups, rollouts, tokens, engine seconds, queue) on this port" };
        var lanes = GenerationOptionSet.LanesOption();
        var command = new Command("worker", "Serve rollouts to a cluster: an Orleans silo hosting one engine") { model, cluster, siloPort, gatewayPort, address, device, maxBatch, metricsPort, lanes };
        command.SetAction(parse =>
        {
            IPAddress? ip = null;
            if (parse.GetValue(address) is { } text && !IPAddress.TryParse(text, out ip))
                throw new InputException($"--address: '{text}' is not an IP address");
            var settings = new WorkerHost.Settings(parse.GetValue(model)!, ClusterConnection.Parse(parse.GetValue(cluster)!),
                parse.GetValue(siloPort), parse.GetValue(gatewayPort), GenerationOptionSet.ParseDevice(parse.GetValue(device)!), parse.GetValue(maxBatch), ip,
                parse.GetValue(metricsPort), parse.GetValue(lanes));
            WorkerHost.Run(settings, parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error);
            return 0;
        });
        return command;
    }
}
