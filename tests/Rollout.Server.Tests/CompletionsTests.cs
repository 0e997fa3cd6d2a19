using System.Text.Json.Nodes;
using Rollout.Engine.Generation;
using Rollout.Engine.Sampling;
using Rollout.Server.Tests.Support;

namespace Rollout.Server.Tests;

/// <summary>
/// Raw HTTP: the legacy <c>/v1/completions</c> (a list of prompts, <c>n</c>, logprobs), <c>n</c> on chat (which the SDK
/// does not send), server-sent events read by hand, and the <c>l2t</c> extension; each against the engine offline.
/// </summary>
[Collection(ServedModelCollection.Name)]
public sealed class CompletionsTests(ServedModelFixture server)
{
    private const string Model = ServedModelFixture.ModelId;

    [Fact]
    public async Task A_list_of_prompts_with_n_samples_gives_each_prompts_rollouts_in_order()
    {
        string[] prompts = ["Compute 12 + 7 - 5.", "Compute 84 - 10 - 30 + 6."];
        var (status, body) = await server.Post("/v1/completions",
            $$"""{"model": "{{Model}}", "prompt": ["{{prompts[0]}}", "{{prompts[1]}}"], "n": 2, "temperature": 1.0, "seed": 3, "max_tokens": 64, "logprobs": 0}""");
        Assert.Equal(200, status);
        Assert.Equal("text_completion", (string)body["object"]!);
        var choices = body["choices"]!.AsArray();
        Assert.Equal(4, choices.Count);
        int promptTokens = 0, completionTokens = 0;
        for (int p = 0; p < 2; p++)
        {
            var reference = server.Offline(prompts[p], null, new GenerationOptions { SamplesPerPrompt = 2, MaxNewTokens = 64, Seed = 3 });
            promptTokens += reference[0].PromptTokenIds.Length;
            for (int s = 0; s < 2; s++)
            {
                var choice = choices[p * 2 + s]!;
                Assert.Equal(p * 2 + s, (int)choice["index"]!);
                Assert.Equal(reference[s].Text, (string)choice["text"]!);
                Assert.Equal(reference[s].FinishReason == FinishReason.Length ? "length" : "stop", (string)choice["finish_reason"]!);
                var logprobs = choice["logprobs"]!["token_logprobs"]!.AsArray().Select(v => (float)v!).ToArray();
                Assert.Equal(reference[s].Logprobs, logprobs, (a, b) => Math.Abs(a - b) <= 1e-4);
                Assert.Equal(reference[s].TokenIds.Select(id => server.Tokenizer.Decode([id])), choice["logprobs"]!["tokens"]!.AsArray().Select(t => (string)t!));
                completionTokens += reference[s].TokenIds.Length;
            }
        }
        Assert.Equal(promptTokens, (int)body["usage"]!["prompt_tokens"]!);
        Assert.Equal(completionTokens, (int)body["usage"]!["completion_tokens"]!);
        Assert.Equal(promptTokens + completionTokens, (int)body["usage"]!["total_tokens"]!);
    }

    [Fact]
    public async Task Chat_with_n_4_gives_the_four_samples_of_the_seed()
    {
        var (status, body) = await server.Post("/v1/chat/completions",
            $$"""{"model": "{{Model}}", "messages": [{"role": "user", "content": "{{ServedModelFixture.Chat[0].Content}}"}], "n": 4, "temperature": 1.2, "seed": 9, "max_tokens": 32}""");
        Assert.Equal(200, status);
        var reference = server.Offline(null, ServedModelFixture.Chat,
            new GenerationOptions { SamplesPerPrompt = 4, MaxNewTokens = 32, Seed = 9, Sampling = new SamplingParams { Temperature = 1.2 } });
        var choices = body["choices"]!.AsArray();
        Assert.Equal(reference.Select(r => r.Text), choices.Select(c => (string)c!["message"]!["content"]!));
        Assert.Equal([0, 1, 2, 3], choices.Select(c => (int)c!["index"]!));
        Assert.All(choices, c => Assert.Equal("assistant", (string)c!["message"]!["role"]!));
    }

    [Fact]
    public async Task Streamed_completions_add_up_to_the_whole_answer_and_end_with_usage()
    {
        var request = $$"""{"model": "{{Model}}", "prompt": "Compute 31 + 5 - 17 + 8.", "n": 2, "temperature": 1.0, "seed": 21, "max_tokens": 80, "stop": ["</episode_2>"]""";
        var (_, whole) = await server.Post("/v1/completions", request + "}");
        var events = await server.PostStream("/v1/completions", request + """, "stream": true, "stream_options": {"include_usage": true}}""");

        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonNode.Parse(e)!).ToList();
        var usage = chunks[^1];
        Assert.Empty(usage["choices"]!.AsArray());
        Assert.Equal(whole["usage"]!.ToJsonString(), usage["usage"]!.ToJsonString());
        for (int i = 0; i < 2; i++)
        {
            var parts = chunks[..^1].SelectMany(c => c["choices"]!.AsArray()).Where(c => (int)c!["index"]! == i).ToList();
            Assert.True(parts.Count > 3, "the answer was not streamed");
            Assert.Equal((string)whole["choices"]![i]!["text"]!, string.Concat(parts.Select(p => (string)p!["text"]!)));
            Assert.All(parts[..^1], p => Assert.Null(p!["finish_reason"]));
            Assert.Equal((string)whole["choices"]![i]!["finish_reason"]!, (string)parts[^1]!["finish_reason"]!);
        }
    }

    [Fact]
    public async Task The_l2t_extension_scores_each_choice_as_generate_does()
    {
        var (status, body) = await server.Post("/v1/completions",
            $$"""{"model": "{{Model}}", "prompt": "Compute 12 + 7 - 5.", "n": 4, "temperature": 1.0, "seed": 4, "max_tokens": 96, "l2t": {"answer": "14"} }""");
        Assert.Equal(200, status);
        var reference = server.Offline("Compute 12 + 7 - 5.", null,
            new GenerationOptions { SamplesPerPrompt = 4, MaxNewTokens = 96, Seed = 4, L2T = new L2TGeneration() }, answer: "14");
        var choices = body["choices"]!.AsArray();
        for (int s = 0; s < 4; s++)
        {
            var l2t = choices[s]!["l2t"]!;
            var score = reference[s].Score!;
            Assert.Equal(reference[s].Text, (string)choices[s]!["text"]!);
            Assert.Equal(score.OutcomeReward, (double)l2t["outcome_reward"]!, 1e-6);
            Assert.Equal(score.AnswerProbes!, l2t["answer_probes"]!.AsArray().Select(v => (double)v!), (a, b) => Math.Abs(a - b) <= 1e-4);
            Assert.Equal(score.Advantages, l2t["advantages"]!.AsArray().Select(v => (float)v!), (a, b) => Math.Abs(a - b) <= 1e-3);
            Assert.Equal(score.TokenRewards, l2t["token_rewards"]!.AsArray().Select(v => (float)v!), (a, b) => Math.Abs(a - b) <= 1e-4);
            Assert.Equal(reference[s].Episodes.Select(e => (e.Start, e.End)),
                l2t["episodes"]!.AsArray().Select(e => ((int)e!["start"]!, (int)e["end"]!)));
            Assert.Equal(score.Episodes.Select(e => e.Reward), l2t["episodes"]!.AsArray().Select(e => (double)e!["reward"]!), (a, b) => Math.Abs(a - b) <= 1e-4);
        }
        // A plain request next to it carries no l2t object.
        var (_, plain) = await server.Post("/v1/completions", $$"""{"model": "{{Model}}", "prompt": "Compute 1 + 2.", "max_tokens": 8}""");
        Assert.Null(plain["choices"]![0]!["l2t"]);
    }
}
