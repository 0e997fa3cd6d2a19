using System.ClientModel;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using OpenAI;
using Rollout.Engine;
using Rollout.Engine.Generation;
using Rollout.Engine.Prompts;
using Rollout.Engine.Tokenization;
using Rollout.Models.ModelFolder;

namespace Rollout.Server.Tests.Support;

/// <summary>
/// A server on a free port over the shipped model (models/arith-qwen2), reached as clients reach it (the OpenAI SDK,
/// raw HTTP), and the same model opened offline beside it: the engine's own Generate for the same prompt and seed is
/// the reference for every answer.
/// </summary>
public class ServedModelFixture : IAsyncLifetime
{
    public const string ModelId = DefaultModel.FolderName;
    private readonly RolloutEngine _offline = RolloutEngine.Open(DefaultModel.Path);

    public RolloutServer Server { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;
    public OpenAIClient Client { get; private set; } = null!;
    public TextTokenizer Tokenizer => _offline.Model.Tokenizer;

    /// <summary>What the server was started with; a subclass asks for less.</summary>
    protected virtual ServerOptions Options => new() { ModelDir = DefaultModel.Path, Port = 0, MaxBatch = 16 };

    public async ValueTask InitializeAsync()
    {
        Server = await RolloutServer.StartAsync(Options);
        Http = new HttpClient { BaseAddress = Server.Address, Timeout = TimeSpan.FromMinutes(5) };
        Client = OpenAIFor(Server.Address);
    }

    /// <summary>The official SDK pointed at a server; no retries, so an error is seen as the server sent it.</summary>
    public static OpenAIClient OpenAIFor(Uri address) => new(new ApiKeyCredential("x"),
        new OpenAIClientOptions { Endpoint = new Uri(address, "v1"), RetryPolicy = new System.ClientModel.Primitives.ClientRetryPolicy(0), NetworkTimeout = TimeSpan.FromMinutes(5) });

    /// <summary>The engine's rollouts for one prompt, as the server words it (prompt id <see cref="RolloutServer.SeedPromptId"/>).</summary>
    public IReadOnlyList<RolloutResult> Offline(string? text, IReadOnlyList<ChatMessage>? messages, GenerationOptions options, string? answer = null)
    {
        lock (_offline)
        {
            var prompts = _offline.Encode([new Prompt(RolloutServer.SeedPromptId, text, messages, answer, null)]);
            return _offline.Generate(prompts, options).ToList();
        }
    }

    public static readonly IReadOnlyList<ChatMessage> Chat = [new("user", "Compute 12 + 7 - 5.")];

    /// <summary>POSTs a JSON body; the status and the parsed answer.</summary>
    public async Task<(int Status, JsonNode Body)> Post(string path, string json)
    {
        using var response = await Http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return ((int)response.StatusCode, JsonNode.Parse(text)!);
    }

    /// <summary>POSTs a streaming request; the <c>data:</c> payloads in order, <c>[DONE]</c> included.</summary>
    public async Task<List<string>> PostStream(string path, string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal(new MediaTypeHeaderValue("text/event-stream"), response.Content.Headers.ContentType);
        var events = new List<string>();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken));
        while (await reader.ReadLineAsync(TestContext.Current.CancellationToken) is { } line)
            if (line.StartsWith("data: ", StringComparison.Ordinal)) events.Add(line["data: ".Length..]);
        return events;
    }

    public async Task<Dictionary<string, double>> Metrics()
    {
        var text = await Http.GetStringAsync("/metrics", TestContext.Current.CancellationToken);
        return text.Split('\n').Where(l => l.Length > 0 && l[0] != '#')
            .Select(l => l.Split(' ')).ToDictionary(p => p[0], p => double.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture));
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
        _offline.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class ServedModelCollection : ICollectionFixture<ServedModelFixture>
{
    public const string Name = "served model";
}
