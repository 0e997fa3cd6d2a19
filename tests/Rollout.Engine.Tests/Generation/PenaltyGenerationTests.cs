using Rollout.Engine.Generation;
using Rollout.Engine.Prompts;
using Rollout.Engine.Sampling;
using Rollout.Engine.Tests.Support;
using Rollout.Tests;

namespace Rollout.Engine.Tests.Generation;

/// <summary>
/// Penalties, a minimum length and top logprobs end to end on the tiny models, against the float64 reference forward
/// with the penalties applied here from the rollout's own history (vLLM's definitions), and on the shipped model, whose
/// rollouts end with EOS.
/// </summary>
[Collection(EngineModelsCollection.Name)]
public sealed class PenaltyGenerationTests(EngineModels models)
{
    private static readonly string[] Texts = ["Compute 12 + 7 - 5 + 30.", "def f(x):\n    return"];

    private static IReadOnlyList<EncodedPrompt> Encode(RolloutEngine engine, params string[] texts) =>
        engine.Encode(texts.Select((t, i) => new Prompt($"p{i}", t, null, null, null)));

    /// <summary>The reference logits of one step with vLLM's penalties for a history of <paramref name="prompt"/> and the output <paramref name="before"/> it.</summary>
    private static double[] Penalised(double[] logits, int[] prompt, ReadOnlySpan<int> before, SamplingParams p)
    {
        var result = (double[])logits.Clone();
        var counts = new int[logits.Length];
        foreach (var token in before) counts[token]++;
        for (int i = 0; i < result.Length; i++)
        {
            if (counts[i] > 0 || prompt.Contains(i)) result[i] = result[i] > 0 ? result[i] / p.RepetitionPenalty : result[i] * p.RepetitionPenalty;
            result[i] -= p.FrequencyPenalty * counts[i];
            if (counts[i] > 0) result[i] -= p.PresencePenalty;
        }
        return result;
    }

    [Theory]
    [InlineData("llama")]
    [InlineData("qwen2")]
    public void Greedy_with_penalties_takes_the_argmax_of_the_penalised_reference_and_reports_its_logprobs(string arch)
    {
        using var engine = RolloutEngine.Open(models.Dir(arch));
        var prompts = Encode(engine, Texts);
        var sampling = new SamplingParams { Greedy = true, RepetitionPenalty = 1.3, PresencePenalty = 0.4, FrequencyPenalty = 0.3 };
        var options = new GenerationOptions { Sampling = sampling, MaxNewTokens = 12, IgnoreEos = true, BatchSize = 4 };
        var plain = engine.Generate(prompts, options with { Sampling = new SamplingParams { Greedy = true } }).ToList();
        var rollouts = engine.Generate(prompts, options).ToList();
        Assert.Equal(prompts.Count, rollouts.Count);
        Assert.Contains(rollouts.Zip(plain), pair => !pair.First.TokenIds.SequenceEqual(pair.Second.TokenIds)); // the penalties matter here
        for (int i = 0; i < prompts.Count; i++)
        {
            var r = rollouts[i];
            var logits = ReferenceLogits.ForCompletion(models.Weights(arch), prompts[i].TokenIds, r.TokenIds);
            Assert.Equal(r.TokenIds.Length, logits.Length);
            for (int t = 0; t < r.TokenIds.Length; t++)
            {
                var penalised = Penalised(logits[t], prompts[i].TokenIds, r.TokenIds.AsSpan(0, t), sampling);
                Assert.Equal(ReferenceLogits.Argmax(penalised), r.TokenIds[t]);
                Assert.Equal(ReferenceLogits.LogSoftmax(penalised, r.TokenIds[t], 1.0), r.Logprobs[t], 1e-3);
                Assert.Equal(ReferenceLogits.Entropy(penalised, 1.0), r.Entropies[t], 1e-3);
            }
        }
    }

    [Fact]
    public void A_huge_presence_penalty_lets_no_token_repeat()
    {
        using var engine = RolloutEngine.Open(models.Dir("gpt2"));
        var prompts = Encode(engine, Texts);
        var options = new GenerationOptions { SamplesPerPrompt = 3, MaxNewTokens = 40, IgnoreEos = true, Seed = 2, Sampling = new SamplingParams { Temperature = 1.5 } };
        // Without it, 40 draws from these flat 400-token distributions repeat some token.
        Assert.All(engine.Generate(prompts, options), r => Assert.True(r.TokenIds.Distinct().Count() < r.TokenIds.Length));
        var penalised = engine.Generate(prompts, options with { Sampling = options.Sampling with { PresencePenalty = 1e4 } }).ToList();
        Assert.Equal(6, penalised.Count);
        Assert.All(penalised, r =>
        {
            Assert.Equal(40, r.TokenIds.Length);
            Assert.Equal(r.TokenIds.Length, r.TokenIds.Distinct().Count());
        });
    }

    [Fact]
    public void Min_new_tokens_masks_stop_ids_until_the_minimum_and_reports_the_masked_policy()
    {
        using var engine = RolloutEngine.Open(models.Dir("llama"));
        var prompt = Encode(engine, Texts[0]);
        var greedy = new GenerationOptions { Sampling = new SamplingParams { Greedy = true }, MaxNewTokens = 12 };
        var free = engine.Generate(prompt, greedy with { IgnoreEos = true }).Single();
        int[] stops = [free.TokenIds[1], free.TokenIds[2]];
        var early = engine.Generate(prompt, greedy with { StopTokenIds = stops }).Single();
        Assert.Equal(FinishReason.Stop, early.FinishReason);
        Assert.True(early.TokenIds.Length <= 3);

        const int minimum = 6;
        var held = engine.Generate(prompt, greedy with { StopTokenIds = stops, MinNewTokens = minimum }).Single();
        Assert.True(held.TokenIds.Length >= minimum, $"{held.TokenIds.Length} tokens");
        Assert.DoesNotContain(held.TokenIds[..minimum], stops.Contains);
        var logits = ReferenceLogits.ForCompletion(models.Weights("llama"), prompt[0].TokenIds, held.TokenIds);
        for (int t = 0; t < held.TokenIds.Length; t++)
        {
            var masked = (double[])logits[t].Clone();
            if (t < minimum)
                foreach (var stop in stops.Concat(engine.Model.EosTokenIds)) masked[stop] = double.NegativeInfinity;
            Assert.Equal(ReferenceLogits.Argmax(masked), held.TokenIds[t]);
            Assert.Equal(ReferenceLogits.LogSoftmax(masked, held.TokenIds[t], 1.0), held.Logprobs[t], 1e-3);
        }
    }

    [Fact]
    public void The_token_callback_is_told_each_tokens_alternatives_as_the_rollout_records_them()
    {
        using var engine = RolloutEngine.Open(models.Dir("qwen2"));
        var prompts = Encode(engine, Texts);
        var options = new GenerationOptions
        {
            SamplesPerPrompt = 2, MaxNewTokens = 8, IgnoreEos = true, Seed = 6, TopLogprobs = 3,
            Sampling = new SamplingParams { Temperature = 0.8, PresencePenalty = 0.5 },
        };
        var told = new List<SampledToken>();
        var rollouts = engine.Generate(prompts, options, told.Add).ToList();
        foreach (var (r, i) in rollouts.Select((r, i) => (r, i)))
        {
            var tokens = told.Where(t => t.Request == i / 2 && t.Sample == r.Sample).ToList();
            Assert.Equal(r.TokenIds, tokens.Select(t => t.TokenId));
            Assert.All(tokens, t => Assert.Equal(3, t.TopLogprobs!.Length));
            Assert.Equal(r.TopLogprobs!.SelectMany(a => a), tokens.SelectMany(t => t.TopLogprobs!));
        }
        told.Clear();
        _ = engine.Generate(prompts, options with { TopLogprobs = 0 }, told.Add).ToList();
        Assert.All(told, t => Assert.Null(t.TopLogprobs));
    }

    [Fact]
    public void Top_logprobs_are_the_k_most_likely_tokens_of_the_reported_policy_sorted_and_agree_with_the_sampled_token()
    {
        using var engine = RolloutEngine.Open(models.Dir("qwen2"));
        var prompts = Encode(engine, Texts);
        var options = new GenerationOptions
        {
            SamplesPerPrompt = 2, MaxNewTokens = 8, IgnoreEos = true, Seed = 6, TopLogprobs = 3,
            Sampling = new SamplingParams { Temperature = 0.8, RepetitionPenalty = 1.2 },
        };
        var rollouts = engine.Generate(prompts, options).ToList();
        Assert.Equal(4, rollouts.Count);
        Assert.All(engine.Generate(prompts, options with { TopLogprobs = 0 }), r => Assert.Null(r.TopLogprobs));
        foreach (var (r, i) in rollouts.Select((r, i) => (r, i)))
        {
            var prompt = prompts[i / 2].TokenIds;
            var top = r.TopLogprobs!;
            Assert.Equal(r.TokenIds.Length, top.Count);
            var logits = ReferenceLogits.ForCompletion(models.Weights("qwen2"), prompt, r.TokenIds);
            for (int t = 0; t < r.TokenIds.Length; t++)
            {
                var penalised = Penalised(logits[t], prompt, r.TokenIds.AsSpan(0, t), options.Sampling);
                var expected = Enumerable.Range(0, penalised.Length).OrderByDescending(j => penalised[j]).Take(3).ToArray();
                Assert.Equal(expected, top[t].Select(a => a.TokenId));
                foreach (var a in top[t]) Assert.Equal(ReferenceLogits.LogSoftmax(penalised, a.TokenId, 0.8), a.Logprob, 1e-3);
                Assert.True(top[t][0].Logprob >= top[t][1].Logprob && top[t][1].Logprob >= top[t][2].Logprob);
                int sampled = Array.FindIndex(top[t], a => a.TokenId == r.TokenIds[t]);
                if (sampled >= 0) Assert.Equal(r.Logprobs[t], top[t][sampled].Logprob);
                else Assert.True(r.Logprobs[t] <= top[t][2].Logprob);
            }
        }
    }

    [Fact]
    public void On_the_shipped_model_min_new_tokens_holds_off_eos_and_ignore_eos_runs_to_the_budget()
    {
        using var engine = RolloutEngine.Open(Path.Combine(RepoPaths.Root, "models", "arith-qwen2"));
        var prompt = Encode(engine, "Compute 84 - 10 - 30.");
        var greedy = new GenerationOptions { Sampling = new SamplingParams { Greedy = true }, MaxNewTokens = 160 };
        var ended = engine.Generate(prompt, greedy).Single();
        Assert.Equal(FinishReason.Eos, ended.FinishReason);
        int eos = ended.TokenIds[^1];

        int minimum = ended.TokenIds.Length + 5;
        var held = engine.Generate(prompt, greedy with { MinNewTokens = minimum }).Single();
        Assert.True(held.TokenIds.Length >= minimum, $"{held.TokenIds.Length} tokens, minimum {minimum}");
        Assert.DoesNotContain(eos, held.TokenIds[..minimum]);
        Assert.Equal(ended.TokenIds[..^1], held.TokenIds[..(ended.TokenIds.Length - 1)]); // the same until EOS was masked

        var ignoring = engine.Generate(prompt, greedy with { MaxNewTokens = minimum, IgnoreEos = true }).Single();
        Assert.Equal(FinishReason.Length, ignoring.FinishReason);
        Assert.Equal(minimum, ignoring.TokenIds.Length);
        Assert.Equal(ended.TokenIds, ignoring.TokenIds[..ended.TokenIds.Length]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Requests_with_their_own_penalties_minimum_and_top_logprobs_equal_each_request_alone(bool l2tOnDevice)
    {
        // With L2T the sampling settings are shared (the kernels' device draws them for all rows), but a minimum and the
        // number of top logprobs stay each request's own; without it, everything may differ.
        using var engine = RolloutEngine.Open(models.Dir("llama"), kernels: l2tOnDevice ? Rollout.Kernels.Runtime.AcceleratorKind.Cpu : null);
        var prompts = Encode(engine, Texts);
        var l2t = l2tOnDevice ? new L2TGeneration { Options = new Rollout.Kernels.L2TOptions { Rank = 4 } } : null;
        var shared = new SamplingParams { Temperature = 0.9, RepetitionPenalty = 1.3, PresencePenalty = 0.5 };
        GenerationOptions[] options =
        [
            new() { SamplesPerPrompt = 2, MaxNewTokens = 7, Seed = 1, BatchSize = 8, L2T = l2t, TopLogprobs = 3, MinNewTokens = 5, StopTokenIds = [7, 8, 9],
                    Sampling = shared },
            new() { SamplesPerPrompt = 1, MaxNewTokens = 7, Seed = 2, BatchSize = 8, L2T = l2t, IgnoreEos = true,
                    Sampling = l2tOnDevice ? shared : new SamplingParams { Greedy = true, FrequencyPenalty = 2 } },
        ];
        var together = engine.Generate(prompts.Select((p, i) => new GenerationRequest(p, options[i])).ToList(), cancel: TestContext.Current.CancellationToken).ToList();
        var alone = prompts.SelectMany((p, i) => engine.Generate([p], options[i])).ToList();
        Assert.Equal(3, together.Count);
        Assert.Equal(alone.Count, together.Count);
        foreach (var (a, b) in alone.Zip(together))
        {
            Assert.Equal(a.TokenIds, b.TokenIds);
            Assert.Equal(a.Logprobs, b.Logprobs, (x, y) => Math.Abs(x - y) < 1e-4);
            Assert.Equal(a.TopLogprobs?.Count, b.TopLogprobs?.Count);
            foreach (var (x, y) in (a.TopLogprobs ?? []).Zip(b.TopLogprobs ?? []))
                Assert.Equal(x.Select(t => t.TokenId), y.Select(t => t.TokenId));
        }
        Assert.All(together.Take(2), r => Assert.Equal(3, r.TopLogprobs![0].Length));
        Assert.Null(together[2].TopLogprobs);
    }

    [Fact]
    public void Scoring_given_completions_refuses_penalties_and_a_minimum_instead_of_ignoring_them()
    {
        using var engine = RolloutEngine.Open(models.Dir("gpt2"));
        var prompt = Encode(engine, Texts[0])[0];
        GivenCompletion[] completions = [new(prompt, [5, 6, 7])];
        Assert.Single(engine.Score(completions, new GenerationOptions()));
        Assert.Throws<InputException>(() => engine.Score(completions, new GenerationOptions { Sampling = new SamplingParams { FrequencyPenalty = 0.1 } }));
        Assert.Throws<InputException>(() => engine.Score(completions, new GenerationOptions { MinNewTokens = 2 }));
    }
}
