using System.Text;
using System.Text.Json.Nodes;
using Rollout.Server.Tests.Support;

namespace Rollout.Server.Tests;

/// <summary>
/// Bad requests get OpenAI's error shape, written out here by hand, with the status and the field named; and the
/// server answers a good request after each.
/// </summary>
[Collection(ServedModelCollection.Name)]
public sealed class ErrorTests(ServedModelFixture server)
{
    private const string Model = ServedModelFixture.ModelId;

    public static readonly TheoryData<string, string, int, string> BadRequests = new()
    {
        { "/v1/completions", $$"""{"model": "{{Model}}", "prompt": "x", "temperature": -1}""", 400,
            """{"error": {"message": "temperature must be ≥ 0 (got -1)", "type": "invalid_request_error", "param": "temperature", "code": "invalid_value"}}""" },
        { "/v1/chat/completions", $$"""{"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}""", 404,
            """{"error": {"message": "the model 'gpt-4o' does not exist; this server serves 'arith-qwen2'", "type": "invalid_request_error", "param": "model", "code": "model_not_found"}}""" },
        { "/v1/chat/completions", """{"messages": [{"role": "user", "content": "hi"}]}""", 400,
            """{"error": {"message": "model is required", "type": "invalid_request_error", "param": "model", "code": "missing_field"}}""" },
        { "/v1/chat/completions", $$"""{"model": "{{Model}}", "messages": [{"role": "user"}]}""", 400,
            """{"error": {"message": "messages[0].content is required", "type": "invalid_request_error", "param": "messages[0].content", "code": "missing_field"}}""" },
        { "/v1/completions", $$"""{"model": "{{Model}}", "prompt": "x", "n": 0}""", 400,
            """{"error": {"message": "n must be at least 1 (got 0)", "type": "invalid_request_error", "param": "n", "code": "invalid_value"}}""" },
        { "/v1/completions", $$"""{"model": "{{Model}}", "prompt": "x", "top_p": 1.5}""", 400,
            """{"error": {"message": "top_p must be in (0, 1] (got 1.5)", "type": "invalid_request_error", "param": "top_p", "code": "invalid_value"}}""" },
        { "/v1/completions", $$"""{"model": "{{Model}}", "prompt": "x", "max_tokens": "ten"}""", 400,
            """{"error": {"message": "max_tokens must be an integer", "type": "invalid_request_error", "param": "max_tokens", "code": "invalid_value"}}""" },
        { "/v1/completions", $$"""{"model": "{{Model}}", "prompt": "x", "stop": [""]}""", 400,
            """{"error": {"message": "stop: a stop string cannot be empty", "type": "invalid_request_error", "param": "stop", "code": "invalid_value"}}""" },
        { "/v1/chat/completions", $$"""{"model": "{{Model}}", "messages": [{"role": "user", "content": "hi"}], "logprobs": true, "top_logprobs": 21}""", 400,
            """{"error": {"message": "top_logprobs must be between 0 (off) and 20 (got 21)", "type": "invalid_request_error", "param": "top_logprobs", "code": "invalid_value"}}""" },
        { "/v1/chat/completions", $$"""{"model": "{{Model}}", "messages": [{"role": "user", "content": "hi"}], "top_logprobs": 3}""", 400,
            """{"error": {"message": "top_logprobs requires logprobs: true", "type": "invalid_request_error", "param": "top_logprobs", "code": "invalid_value"}}""" },
        { "/v1/completions", $$"""{"model": "{{Model}}", "prompt": "x", "logprobs": 21}""", 400,
            """{"error": {"message": "logprobs must be between 0 (off) and 20 (got 21)", "type": "invalid_request_error", "param": "logprobs", "code": "invalid_value"}}""" },
        { "/v1/completions", $$"""{"model": "{{Model}}", "prompt": "x", "repetition_penalty": 0}""", 400,
            """{"error": {"message": "repetition_penalty must be a finite number > 0 (got 0; 1 = off)", "type": "invalid_request_error", "param": "repetition_penalty", "code": "invalid_value"}}""" },
        { "/v1/chat/completions", $$"""{"model": "{{Model}}", "messages": [{"role": "user", "content": "hi"}], "presence_penalty": "high"}""", 400,
            """{"error": {"message": "presence_penalty must be a number", "type": "invalid_request_error", "param": "presence_penalty", "code": "invalid_value"}}""" },
        { "/v1/completions", $$"""{"model": "{{Model}}", "prompt": "x", "max_tokens": 10, "min_tokens": 20}""", 400,
            """{"error": {"message": "min_tokens must be between 0 (off) and the token budget 10 (got 20)", "type": "invalid_request_error", "param": "min_tokens", "code": "invalid_value"}}""" },
        { "/v1/completions", $$"""{"model": "{{Model}}", "prompt": "x", "stream_options": {"include_usage": true} }""", 400,
            """{"error": {"message": "stream_options is only allowed with stream: true", "type": "invalid_request_error", "param": "stream_options", "code": "invalid_value"}}""" },
        { "/v1/chat/completions", $$"""{"model": "{{Model}}", "messages": [{"role": "user", "content": "hi"}], "tools": [{"type": "function", "function": {"name": "f"} }]}""", 400,
            """{"error": {"message": "tools is not supported by this server", "type": "invalid_request_error", "param": "tools", "code": "not_supported"}}""" },
        { "/v1/completions", """[1, 2]""", 400,
            """{"error": {"message": "the request body is not valid JSON: the body must be a JSON object", "type": "invalid_request_error", "param": null, "code": "invalid_json"}}""" },
        { "/v1/embeddings", $$"""{"model": "{{Model}}", "input": "x"}""", 404,
            """{"error": {"message": "no route POST /v1/embeddings", "type": "invalid_request_error", "param": null, "code": "not_found"}}""" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task A_bad_request_is_answered_in_OpenAIs_shape_and_the_server_goes_on(string path, string body, int status, string expected)
    {
        var (got, answer) = await server.Post(path, body);
        Assert.Equal(status, got);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), answer), answer.ToJsonString());
        await AGoodRequestIsAnswered();
    }

    [Fact]
    public async Task Malformed_JSON_is_a_400_that_says_so()
    {
        var (status, answer) = await server.Post("/v1/chat/completions", """{"model": "arith""");
        Assert.Equal(400, status);
        Assert.Equal("invalid_json", (string)answer["error"]!["code"]!);
        Assert.StartsWith("the request body is not valid JSON: ", (string)answer["error"]!["message"]!);
        Assert.DoesNotContain(" at ", (string)answer["error"]!["message"]!); // no stack trace
        await AGoodRequestIsAnswered();
    }

    [Fact]
    public async Task A_prompt_longer_than_the_context_window_is_a_400()
    {
        var prompt = string.Concat(Enumerable.Repeat("Compute 12 + 7. ", 200));
        var (status, answer) = await server.Post("/v1/completions", $$"""{"model": "{{Model}}", "prompt": "{{prompt}}"}""");
        Assert.Equal(400, status);
        Assert.Contains("context window is 256", (string)answer["error"]!["message"]!);
        await AGoodRequestIsAnswered();
    }

    [Fact]
    public async Task A_known_route_with_the_wrong_method_is_a_405_and_an_unknown_model_card_a_404()
    {
        using var get = await server.Http.GetAsync("/v1/chat/completions", TestContext.Current.CancellationToken);
        Assert.Equal(405, (int)get.StatusCode);
        Assert.Equal("method_not_allowed", (string)JsonNode.Parse(await get.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!["error"]!["code"]!);
        using var card = await server.Http.GetAsync("/v1/models/gpt-4o", TestContext.Current.CancellationToken);
        Assert.Equal(404, (int)card.StatusCode);
        await AGoodRequestIsAnswered();
    }

    private async Task AGoodRequestIsAnswered()
    {
        var (status, answer) = await server.Post("/v1/completions", $$"""{"model": "{{Model}}", "prompt": "Compute 3 + 4.", "max_tokens": 4}""");
        Assert.Equal(200, status);
        Assert.Single(answer["choices"]!.AsArray());
    }
}
