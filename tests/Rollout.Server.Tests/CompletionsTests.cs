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

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Penalties_and_min_tokens_give_the_offline_rollouts_for_the_same_settings(bool chat)
    {
        const string settings = """
            "n": 2, "temperature": 1.0, "seed": 17, "max_tokens": 48, "min_tokens": 40,
            "repetition_penalty": 1.3, "presence_penalty": 0.4, "frequency_penalty": 0.3
            """;
        var (status, body) = chat
            ? await server.Post("/v1/chat/completions",
                $$"""{"model": "{{Model}}", "messages": [{"role": "user", "content": "{{ServedModelFixture.Chat[0].Content}}"}], "logprobs": true, {{settings}}}""")
            : await server.Post("/v1/completions", $$"""{"model": "{{Model}}", "prompt": "{{ServedModelFixture.Chat[0].Content}}", "logprobs": 0, {{settings}}}""");
        Assert.Equal(200, status);

        var options = new GenerationOptions
        {
            SamplesPerPrompt = 2, MaxNewTokens = 48, MinNewTokens = 40, Seed = 17,
            Sampling = new SamplingParams { Temperature = 1.0, RepetitionPenalty = 1.3, PresencePenalty = 0.4, FrequencyPenalty = 0.3 },
        };
        IReadOnlyList<RolloutResult> Offline(GenerationOptions o) =>
            chat ? server.Offline(null, ServedModelFixture.Chat, o) : server.Offline(ServedModelFixture.Chat[0].Content, null, o);
        var reference = Offline(options);
        var choices = body["choices"]!.AsArray();
        for (int s = 0; s < 2; s++)
        {
            var choice = choices[s]!;
            Assert.Equal(reference[s].Text, chat ? (string)choice["message"]!["content"]! : (string)choice["text"]!);
            var logprobs = chat
                ? choice["logprobs"]!["content"]!.AsArray().Select(t => (float)t!["logprob"]!).ToArray()
                : choice["logprobs"]!["token_logprobs"]!.AsArray().Select(v => (float)v!).ToArray();
            Assert.Equal(reference[s].Logprobs, logprobs, (a, b) => Math.Abs(a - b) <= 1e-4);
            Assert.True(reference[s].TokenIds.Length >= 40, $"{reference[s].TokenIds.Length} tokens under min_tokens 40");
        }
        // Each setting matters here: without min_tokens a rollout ends sooner, without the penalties the seed gives other texts.
        Assert.Contains(Offline(options with { MinNewTokens = 0 }), r => r.TokenIds.Length < 40);
        var unpenalised = Offline(options with { Sampling = new SamplingParams { Temperature = 1.0 } });
        Assert.NotEqual(unpenalised.Select(r => r.Text), reference.Select(r => r.Text));
    }

    [Fact]
    public async Task Logprobs_k_gives_each_tokens_k_alternatives_streamed_or_not()
    {
        const string prompt = "Compute 84 - 10 - 30 + 6.";
        var request = $$"""{"model": "{{Model}}", "prompt": "{{prompt}}", "n": 2, "temperature": 1.0, "seed": 8, "max_tokens": 40, "logprobs": 4""";
        var (status, whole) = await server.Post("/v1/completions", request + "}");
        Assert.Equal(200, status);
        var events = await server.PostStream("/v1/completions", request + """, "stream": true}""");
        var chunks = events[..^1].Select(e => JsonNode.Parse(e)!).ToList();

        var reference = server.Offline(prompt, null, new GenerationOptions { SamplesPerPrompt = 2, MaxNewTokens = 40, Seed = 8, TopLogprobs = 4 });
        for (int s = 0; s < 2; s++)
        {
            var top = whole["choices"]![s]!["logprobs"]!["top_logprobs"]!.AsArray();
            Assert.Equal(reference[s].TokenIds.Length, top.Count);
            for (int t = 0; t < top.Count; t++)
            {
                // The k alternatives, and the chosen token when it is not among them (OpenAI: up to logprobs + 1).
                var expected = new Dictionary<string, float>();
                foreach (var a in reference[s].TopLogprobs![t]) expected.TryAdd(server.Tokenizer.Decode([a.TokenId]), a.Logprob);
                Assert.Equal(4, reference[s].TopLogprobs![t].Length);
                expected.TryAdd(server.Tokenizer.Decode([reference[s].TokenIds[t]]), reference[s].Logprobs[t]);
                var got = top[t]!.AsObject().ToDictionary(p => p.Key, p => (float)p.Value!);
                Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), got.Keys.Order(StringComparer.Ordinal));
                Assert.All(expected, e => Assert.Equal(e.Value, got[e.Key], 1e-4));
            }
            var streamed = chunks.SelectMany(c => c["choices"]!.AsArray()).Where(c => (int)c!["index"]! == s && c["logprobs"] is JsonObject)
                .SelectMany(c => c!["logprobs"]!["top_logprobs"]!.AsArray()).Select(t => t!.ToJsonString());
            Assert.Equal(top.Select(t => t!.ToJsonString()), streamed);
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
