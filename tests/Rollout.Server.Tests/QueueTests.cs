using System.Text;
using System.Text.Json.Nodes;
using Rollout.Models.ModelFolder;
using Rollout.Server.Tests.Support;

namespace Rollout.Server.Tests;

/// <summary>A server that decodes one row at a time and lets one request wait: the full queue answers 429.</summary>
public sealed class TinyQueueFixture : ServedModelFixture
{
    protected override ServerOptions Options => new() { ModelDir = DefaultModel.Path, Port = 0, MaxBatch = 1, MaxQueue = 1 };
}

/// <summary>A bounded queue, and a client that goes away: its rows are dropped and the next request is decoded.</summary>
public sealed class QueueTests(TinyQueueFixture server) : IClassFixture<TinyQueueFixture>
{
    // Far more work than the test takes to reach the disconnect on any machine. (Three CI runs saw this request run to
    // the end: a write to the reset connection failed before Kestrel flagged the request aborted, and the job was left
    // only on that flag. CompletionEndpointTests pins that case down.)
    private const int Samples = 4096, Budget = 200;

    [Fact]
    public async Task A_full_queue_answers_429_and_a_client_that_leaves_frees_its_rows()
    {
        var cancel = TestContext.Current.CancellationToken;
        var before = await server.Metrics();
        // A: 4096 samples of 200 tokens, one row at a time: minutes of work, unless its rows are dropped.
        using var streaming = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = new StringContent($$"""{"model": "arith-qwen2", "prompt": "Compute 1 + 2.", "n": {{Samples}}, "max_tokens": {{Budget}}, "ignore_eos": true, "stream": true}""",
                Encoding.UTF8, "application/json"),
        };
        // A's client leaves by cancelling, which closes its connection at once: disposing an unfinished response instead
        // lets HttpClient drain it first, to keep the connection, and how soon that gives up is the client's business.
        using var leave = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var a = await server.Http.SendAsync(streaming, HttpCompletionOption.ResponseHeadersRead, leave.Token);
        var reader = new StreamReader(await a.Content.ReadAsStreamAsync(leave.Token));
        Assert.StartsWith("data: ", await reader.ReadLineAsync(leave.Token)); // A's first token: its call is running

        // B waits for the batcher; then the queue (of one) is full.
        var b = server.Post("/v1/completions", """{"model": "arith-qwen2", "prompt": "Compute 3 + 4.", "max_tokens": 5}""");
        while ((await server.Metrics())["rollout_queue_depth"] < 1) await Task.Delay(20, cancel);
        var (status, error) = await server.Post("/v1/completions", """{"model": "arith-qwen2", "prompt": "Compute 5 + 6.", "max_tokens": 5}""");
        Assert.Equal(429, status);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(
            """{"error": {"message": "the request queue is full (1 waiting); retry later", "type": "rate_limit_error", "param": null, "code": "queue_full"}}"""), error));

        // A goes away: its rows leave the batch, B is decoded.
        await leave.CancelAsync();
        reader.Dispose();
        a.Dispose();
        var (bStatus, bBody) = await b;
        Assert.Equal(200, bStatus);
        var after = await server.Metrics();
        double tokens = after["rollout_generated_tokens_total"] - before.GetValueOrDefault("rollout_generated_tokens_total");
        Assert.True(tokens < Samples * Budget, $"{tokens} tokens: the abandoned request ran to the end");
        Assert.True((int)bBody["usage"]!["completion_tokens"]! <= 5);
        Assert.Equal(1, after["rollout_requests_total{status=\"429\"}"]);
        Assert.Equal(0, after["rollout_queue_depth"]);
    }
}
