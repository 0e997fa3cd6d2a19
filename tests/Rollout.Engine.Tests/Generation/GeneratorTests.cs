using Rollout.Engine.Generation;
using Rollout.Engine.Prompts;
using Rollout.Engine.Sampling;
using Rollout.Engine.Tests.Support;

namespace Rollout.Engine.Tests.Generation;

[Collection(EngineModelsCollection.Name)]
public sealed class GeneratorTests(EngineModels models)
{
    private static readonly string[] Texts =
    [
        "Compute 12 + 7 - 5 + 30.",
        "The quick brown fox jumps over the lazy dog, and then",
        "def f(x):\n    return",
    ];

    private static IReadOnlyList<EncodedPrompt> Encode(RolloutEngine engine, IEnumerable<string> texts) =>
        engine.Encode(texts.Select((t, i) => new Prompt($"p{i}", t, null, null, null)));

    private static GenerationOptions Greedy(int batchSize, int tokens = 6) => new()
    {
        Sampling = new SamplingParams { Greedy = true },
        MaxNewTokens = tokens,
        IgnoreEos = true,
        BatchSize = batchSize,
    };

    [Theory]
    [MemberData(nameof(EngineModels.Names), MemberType = typeof(EngineModels))]
    public void Greedy_tokens_and_logprobs_equal_the_float64_reference_alone_and_left_padded(string arch)
    {
        using var engine = RolloutEngine.Open(models.Dir(arch));
        var prompts = Encode(engine, Texts);
        Assert.True(prompts.Select(p => p.TokenIds.Length).Distinct().Count() > 1, "prompts must differ in length to exercise padding");
        var weights = models.Weights(arch);

        foreach (var batchSize in new[] { 1, 16 })
        {
            var rollouts = engine.Generate(prompts, Greedy(batchSize)).ToList();
            Assert.Equal(prompts.Count, rollouts.Count);
            for (int i = 0; i < prompts.Count; i++)
            {
                var r = rollouts[i];
                var logits = ReferenceLogits.ForCompletion(weights, prompts[i].TokenIds, r.TokenIds);
                for (int t = 0; t < r.TokenIds.Length; t++)
                {
                    Assert.Equal(ReferenceLogits.Argmax(logits[t]), r.TokenIds[t]);
                    Assert.Equal(ReferenceLogits.LogSoftmax(logits[t], r.TokenIds[t], 1.0), r.Logprobs[t], 1e-3);
                    Assert.Equal(ReferenceLogits.Entropy(logits[t], 1.0), r.Entropies[t], 1e-3);
                }
            }
        }
    }

    [Fact]
    public void Sampled_logprobs_use_the_tempered_policy_before_truncation_and_raw_logprobs_temperature_one()
    {
        using var engine = RolloutEngine.Open(models.Dir("llama"));
        var prompts = Encode(engine, Texts);
        var options = new GenerationOptions
        {
            Sampling = new SamplingParams { Temperature = 0.7, TopK = 20, TopP = 0.9 },
            MaxNewTokens = 6, IgnoreEos = true, Seed = 5,
        };
        foreach (var (prompt, r) in prompts.Zip(engine.Generate(prompts, options)))
        {
            var logits = ReferenceLogits.ForCompletion(models.Weights("llama"), prompt.TokenIds, r.TokenIds);
            for (int t = 0; t < r.TokenIds.Length; t++)
            {
                Assert.Equal(ReferenceLogits.LogSoftmax(logits[t], r.TokenIds[t], 0.7), r.Logprobs[t], 1e-3);
                Assert.Equal(ReferenceLogits.LogSoftmax(logits[t], r.TokenIds[t], 1.0), r.RawLogprobs[t], 1e-3);
                Assert.Equal(ReferenceLogits.Entropy(logits[t], 0.7), r.Entropies[t], 1e-3);
            }
        }
    }

    [Fact]
    public void A_seed_gives_the_same_rollout_alone_or_in_a_batch_of_16()
    {
        using var engine = RolloutEngine.Open(models.Dir("qwen2"));
        var texts = Enumerable.Range(0, 16).Select(i => $"Prompt number {i}: " + new string('x', i)).ToArray();
        var batch = Encode(engine, texts);
        var options = new GenerationOptions { MaxNewTokens = 12, IgnoreEos = true, Seed = 42, BatchSize = 16 };

        var together = engine.Generate(batch, options).ToList();
        var alone = engine.Generate([batch[7]], options with { BatchSize = 1 }).Single();

        Assert.Equal(alone.TokenIds, together[7].TokenIds);
        Assert.Equal(alone.Logprobs, together[7].Logprobs, (a, b) => Math.Abs(a - b) < 1e-4);
        Assert.True(together.Select(r => string.Join(',', r.TokenIds)).Distinct().Count() > 8, "different prompts should sample differently");
    }

    [Fact]
    public void Samples_of_one_prompt_share_its_prefill_and_draw_independent_streams()
    {
        using var engine = RolloutEngine.Open(models.Dir("gpt2"));
        var prompt = Encode(engine, [Texts[1]]);

        var greedy = engine.Generate(prompt, Greedy(16) with { SamplesPerPrompt = 4 }).ToList();
        var single = engine.Generate(prompt, Greedy(1)).Single();
        Assert.Equal([0, 1, 2, 3], greedy.Select(r => r.Sample));
        Assert.All(greedy, r => Assert.Equal(single.TokenIds, r.TokenIds));

        var sampled = engine.Generate(prompt, new GenerationOptions { SamplesPerPrompt = 4, MaxNewTokens = 10, IgnoreEos = true, Seed = 3 }).ToList();
        Assert.True(sampled.Select(r => string.Join(',', r.TokenIds)).Distinct().Count() > 1);
    }

    [Fact]
    public void Finish_reasons_follow_stop_strings_stop_tokens_and_the_budget()
    {
        using var engine = RolloutEngine.Open(models.Dir("llama"));
        var prompt = Encode(engine, [Texts[0]]);
        var free = engine.Generate(prompt, Greedy(1, tokens: 12)).Single();
        Assert.Equal(FinishReason.Length, free.FinishReason);
        Assert.Equal(12, free.TokenIds.Length);

        var stopToken = free.TokenIds[4];
        var byToken = engine.Generate(prompt, Greedy(1, tokens: 12) with { StopTokenIds = [stopToken] }).Single();
        Assert.Equal(FinishReason.Stop, byToken.FinishReason);
        Assert.Equal(free.TokenIds[..(Array.IndexOf(free.TokenIds, stopToken) + 1)], byToken.TokenIds);

        // A stop string spanning the boundary between two tokens: the rollout ends at the token that completes it.
        var tokenizer = engine.Model.Tokenizer;
        var head = tokenizer.Decode(free.TokenIds.AsSpan(0, 5));
        var stop = tokenizer.Decode(free.TokenIds.AsSpan(0, 7))[(head.Length - 1)..];
        Assert.True(stop.Length >= 2);
        var byString = engine.Generate(prompt, Greedy(1, tokens: 12) with { StopStrings = [stop] }).Single();
        Assert.Equal(FinishReason.Stop, byString.FinishReason);
        var full = tokenizer.Decode(free.TokenIds);
        Assert.Equal(full[..full.IndexOf(stop, StringComparison.Ordinal)], byString.Text);
        Assert.True(byString.TokenIds.Length <= 7);
    }

    [Fact]
    public void Generation_stops_at_the_context_window_and_a_prompt_that_fills_it_is_refused()
    {
        using var engine = RolloutEngine.Open(models.WithContextWindow("llama", 24));
        var fits = Encode(engine, [Texts[0]]);
        var r = engine.Generate(fits, Greedy(1, tokens: 100)).Single();
        Assert.Equal(FinishReason.Length, r.FinishReason);
        Assert.Equal(24, fits[0].TokenIds.Length + r.TokenIds.Length);

        var error = Assert.Throws<InputException>(() => Encode(engine, [string.Concat(Enumerable.Repeat("many words here ", 20))]));
        Assert.Contains("context window is 24", error.Message);
        Assert.Contains("'p0'", error.Message);
    }
}
