using System.CommandLine;
using Rollout.Server;

namespace Rollout.Cli.Commands;

/// <summary><c>serve</c>: the OpenAI-compatible HTTP server over one model, until SIGINT or SIGTERM.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var defaults = new ServerOptions { ModelDir = "" };
        var model = new Option<string>("--model") { Description = "Model folder (HF/Optimum layout); its name is the model id", Required = true };
        var host = new Option<string>("--host") { Description = "Address to listen on (an IP address or localhost)", DefaultValueFactory = _ => defaults.Host };
        var port = new Option<int>("--port") { Description = "Port (0: a free one)", DefaultValueFactory = _ => defaults.Port };
        var device = new Option<string>("--device") { Description = "Execution provider: cpu | cuda", DefaultValueFactory = _ => "cpu" };
        var maxBatch = new Option<int>("--max-batch") { Description = "Sequences decoded together", DefaultValueFactory = _ => defaults.MaxBatch };
        var maxQueue = new Option<int>("--max-queue") { Description = "Requests that may wait; one more is answered 429", DefaultValueFactory = _ => defaults.MaxQueue };
        var lanes = GenerationOptionSet.LanesOption();
        var command = new Command("serve", "Serve a model over an OpenAI-compatible HTTP API (chat and text completions, streaming, the l2t extension)")
            { model, host, port, device, maxBatch, maxQueue, lanes };
        command.SetAction(parse =>
        {
            var options = new ServerOptions
            {
                ModelDir = parse.GetValue(model)!,
                Host = parse.GetValue(host)!,
                Port = parse.GetValue(port),
                Device = GenerationOptionSet.ParseDevice(parse.GetValue(device)!),
                MaxBatch = parse.GetValue(maxBatch),
                MaxQueue = parse.GetValue(maxQueue),
                Lanes = parse.GetValue(lanes),
            };
            var error = parse.InvocationConfiguration.Error;
            var server = RolloutServer.StartAsync(options, error).GetAwaiter().GetResult();
            try
            {
                parse.InvocationConfiguration.Output.WriteLine($"serving {options.ModelDir} at {server.Address} (max batch {options.MaxBatch}, queue {options.MaxQueue}); Ctrl+C stops");
                // SIGINT and SIGTERM stop the host (its console lifetime); then this returns and the command exits 0.
                server.WaitForShutdownAsync().GetAwaiter().GetResult();
            }
            finally { server.DisposeAsync().AsTask().GetAwaiter().GetResult(); }
            return 0;
        });
        return command;
    }
}
