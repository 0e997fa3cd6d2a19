using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Rollout.Engine;
using Rollout.Server.Batching;
using Rollout.Server.Endpoints;
using Rollout.Server.Metrics;
using Rollout.Server.Protocol;

namespace Rollout.Server;

/// <summary>
/// <c>rollout serve</c>: an OpenAI-compatible HTTP server (Kestrel) over one engine. Every generation request is checked,
/// queued, and decoded together with the others by one batcher thread; errors are answered in OpenAI's shape from one
/// handler here. SIGINT and SIGTERM stop it: the running call is aborted, its requests and the waiting ones get 503.
/// </summary>
public sealed class RolloutServer : IAsyncDisposable
{
    /// <summary>
    /// The prompt id of every rollout the server samples. A rollout's random stream is fixed by (seed, prompt id, sample),
    /// so choice s of a prompt sent with <c>seed</c> S is <c>rollout generate --seed S</c>'s sample s of that prompt under this id.
    /// </summary>
    public const string SeedPromptId = "serve";

    private readonly WebApplication _app;
    private readonly RolloutEngine _engine;
    private readonly Batcher _batcher;

    private RolloutServer(WebApplication app, RolloutEngine engine, Batcher batcher)
    {
        _app = app;
        _engine = engine;
        _batcher = batcher;
    }

    /// <summary>Where it listens (the port chosen when <see cref="ServerOptions.Port"/> is 0).</summary>
    public Uri Address => new(_app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
        .Features.Get<IServerAddressesFeature>()!.Addresses.First());

    /// <summary>Loads the model and starts listening; <paramref name="log"/> gets the errors a client is not shown in full.</summary>
    public static async Task<RolloutServer> StartAsync(ServerOptions options, TextWriter? log = null)
    {
        options.Validate();
        var engine = RolloutEngine.Open(options.ModelDir, options.Device, lanes: options.Lanes);
        try
        {
            var model = new ServedModel(engine, options.MaxBatch);
            var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
            builder.Logging.ClearProviders();
            builder.Services.AddRoutingCore();
            builder.WebHost.UseKestrelCore().ConfigureKestrel(k =>
            {
                if (options.Host is "localhost") k.ListenLocalhost(options.Port);
                else if (IPAddress.TryParse(options.Host, out var ip)) k.Listen(ip, options.Port);
                else throw InputException.ForSetting("Host", $"'{options.Host}' is not an IP address or localhost");
            });
            var app = builder.Build();

            var queue = new JobQueue(options.MaxQueue);
            var metrics = new ServerMetrics(options.MaxBatch, () => queue.Count);
            var batcher = new Batcher(model, queue, metrics, line => log?.WriteLine(line));
            app.Lifetime.ApplicationStopping.Register(batcher.Stop);
            Map(app, model, queue, metrics, log);
            batcher.Start();
            try { await app.StartAsync(); }
            catch (IOException e)
            {
                batcher.Dispose();
                throw InputException.ForSetting(nameof(ServerOptions.Port), $"{options.Port}: cannot listen on {options.Host} ({e.Message})");
            }
            return new RolloutServer(app, engine, batcher);
        }
        catch
        {
            engine.Dispose();
            throw;
        }
    }

    private static readonly string[] Routes = ["/health", "/metrics", "/v1/models", "/v1/completions", "/v1/chat/completions"];

    private static void Map(WebApplication app, ServedModel model, JobQueue queue, ServerMetrics metrics, TextWriter? log)
    {
        app.Use(async (context, next) =>
        {
            try { await next(context); }
            // The client is gone: no one to answer. A write to a reset connection can fail before Kestrel flags it.
            catch (Exception e) when (context.RequestAborted.IsCancellationRequested || (e is IOException && context.Response.HasStarted)) { _ = e; }
            catch (Exception e)
            {
                var error = Answer(e);
                if (error.Status == 500) log?.WriteLine($"rollout serve: {context.Request.Method} {context.Request.Path}: {e}");
                if (context.Response.HasStarted) context.Abort();
                else
                {
                    context.Response.Clear();
                    context.Response.StatusCode = error.Status;
                    context.Response.ContentType = "application/json";
                    await context.Response.Body.WriteAsync(error.ToJson());
                }
            }
            finally { metrics.Request(context.Response.StatusCode); }
        });

        var completions = new CompletionEndpoint(model, queue);
        app.MapPost("/v1/chat/completions", context => completions.Handle(context, Protocol.Endpoint.Chat));
        app.MapPost("/v1/completions", context => completions.Handle(context, Protocol.Endpoint.Completions));
        app.MapGet("/v1/models", context => Json(context, json =>
        {
            json.WriteStartObject();
            json.WriteString("object", "list");
            json.WriteStartArray("data");
            ModelCard(json, model);
            json.WriteEndArray();
            json.WriteEndObject();
        }));
        app.MapGet("/v1/models/{id}", context => (string?)context.Request.RouteValues["id"] == model.Id
            ? Json(context, json => ModelCard(json, model))
            : throw ApiError.ModelNotFound((string)context.Request.RouteValues["id"]!, model.Id));
        // Kestrel answers only once the model is loaded (StartAsync opens the engine first).
        app.MapGet("/health", context => context.Response.WriteAsync("ok"));
        app.MapGet("/metrics", context =>
        {
            context.Response.ContentType = "text/plain; version=0.0.4";
            return context.Response.WriteAsync(metrics.Prometheus());
        });
        app.MapFallback(context => throw (Routes.Contains(context.Request.Path.Value)
            ? ApiError.MethodNotAllowed(context.Request.Method, context.Request.Path)
            : ApiError.RouteNotFound(context.Request.Method, context.Request.Path)));
    }

    /// <summary>Every error a request can end in, as the client is told it.</summary>
    private static ApiError Answer(Exception e) => e switch
    {
        ApiError api => api,
        InputException input => GenerationFields.ErrorOf(input),
        BadHttpRequestException bad => new ApiError(bad.StatusCode, "invalid_request_error", "bad_request", bad.Message),
        _ => ApiError.Internal("internal server error (see the server's log)"),
    };

    private static void ModelCard(Utf8JsonWriter json, ServedModel model)
    {
        json.WriteStartObject();
        json.WriteString("id", model.Id);
        json.WriteString("object", "model");
        json.WriteNumber("created", model.Created);
        json.WriteString("owned_by", "rollout");
        json.WriteNumber("max_model_len", model.ContextWindow);
        json.WriteEndObject();
    }

    private static async Task Json(HttpContext context, Action<Utf8JsonWriter> write)
    {
        context.Response.ContentType = "application/json";
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, ResponseWriter.Options)) write(json);
        await context.Response.Body.WriteAsync(buffer.ToArray());
    }

    /// <summary>Returns when the server has stopped: on SIGINT or SIGTERM, or <see cref="StopAsync"/>.</summary>
    public Task WaitForShutdownAsync() => _app.WaitForShutdownAsync();

    public Task StopAsync() => _app.StopAsync();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _batcher.Dispose();
        _engine.Dispose();
    }
}
