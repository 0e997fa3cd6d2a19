using System.Text.Json.Nodes;
using Rollout.Server.Tests.Support;

namespace Rollout.Server.Tests;

/// <summary><c>/v1/models</c> through the SDK, <c>/health</c>, and <c>/metrics</c> against what the clients were told.</summary>
[Collection(ServedModelCollection.Name)]
public sealed class ModelsAndMetricsTests(ServedModelFixture server)
{
    [Fact]
    public void The_model_list_names_the_model_folder()
    {
        var models = server.Client.GetOpenAIModelClient().GetModels(TestContext.Current.CancellationToken).Value;
        Assert.Equal(["arith-qwen2"], models.Select(m => m.Id));
        Assert.Equal("arith-qwen2", server.Client.GetOpenAIModelClient().GetModel("arith-qwen2", TestContext.Current.CancellationToken).Value.Id);
    }

    [Fact]
    public async Task Health_is_ok_once_the_model_is_loaded()
    {
        using var response = await server.Http.GetAsync("/health", TestContext.Current.CancellationToken);
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("ok", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Metrics_count_the_tokens_and_requests_the_clients_were_answered()
    {
        var before = await server.Metrics();
        int tokens = 0;
        for (int i = 0; i < 3; i++)
        {
            var (status, body) = await server.Post("/v1/completions",
                $$"""{"model": "{{ServedModelFixture.ModelId}}", "prompt": "Compute {{i}} + 5 - 3.", "n": 2, "seed": {{i}}, "max_tokens": 40}""");
            Assert.Equal(200, status);
            tokens += (int)body["usage"]!["completion_tokens"]!;
        }
        var (bad, _) = await server.Post("/v1/completions", """{"model": "arith-qwen2", "prompt": "x", "n": -1}""");
        var after = await server.Metrics();

        Assert.Equal(tokens, after["rollout_generated_tokens_total"] - before["rollout_generated_tokens_total"]);
        Assert.Equal(3, after["rollout_requests_total{status=\"200\"}"] - before.GetValueOrDefault("rollout_requests_total{status=\"200\"}") - 1); // the first /metrics too
        Assert.Equal(1, after["rollout_requests_total{status=\"400\"}"] - before.GetValueOrDefault("rollout_requests_total{status=\"400\"}"));
        Assert.Equal(400, bad);
        Assert.Equal(0, after["rollout_queue_depth"]);
        Assert.Equal(0, after["rollout_batch_occupancy"]);
        Assert.True(after["rollout_generated_tokens_per_second"] >= 0);
    }
}
