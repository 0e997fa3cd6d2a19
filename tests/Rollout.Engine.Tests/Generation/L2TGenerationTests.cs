using Rollout.Engine.Generation;
using Rollout.Engine.Prompts;
using Rollout.Engine.Sampling;
using Rollout.Engine.Tests.Support;
using Rollout.Kernels;
using Rollout.Kernels.Runtime;
using Rollout.Kernels.Svd;
using Rollout.Models.Reference;
using Rollout.Models.Weights;

namespace Rollout.Engine.Tests.Generation;

/// <summary>L2T during generation, checked against the float64 reference forward on full, uncached sequences.</summary>
[Collection(EngineModelsCollection.Name)]
public sealed class L2TGenerationTests(EngineModels models)
{
    private static readonly L2TGeneration Settings = new() { Options = new L2TOptions { Rank = 6 }, AnswerCue = "\n#### " };

    private static (RolloutEngine Engine, IReadOnlyList<EncodedPrompt> Prompts) Open(string dir, params (string Text, string? Answer)[] prompts)
    {
        var engine = RolloutEngine.Open(dir);
        return (engine, engine.Encode(prompts.Select((p, i) => new Prompt($"p{i}", p.Text, null, p.Answer, null))));
    }

    private static GenerationOptions Options(int n = 3) => new()
    {
        SamplesPerPrompt = n, MaxNewTokens = 10, Seed = 9, BatchSize = 6,
        Sampling = new SamplingParams { Temperature = 0.8 },
        L2T = Settings,
    };

    [Theory]
    [MemberData(nameof(EngineModels.Names), MemberType = typeof(EngineModels))]
    public void Answer_probes_from_the_kv_cache_equal_the_reference_on_the_whole_sequence(string arch)
    {
        var (engine, prompts) = Open(models.Dir(arch), ("Compute 12 + 7.", "19"), ("A longer prompt: compute 3 - 1 + 5 and show the steps.", "7"));
        using var _ = engine;
        foreach (var (r, prompt) in engine.Generate(prompts, Options()).Select((r, i) => (r, prompts[i / 3])))
            AssertProbesEqualReference(engine, models.Weights(arch), prompt, r, Settings);
    }

    [Theory]
    [InlineData("llama", "</think>\n#### ", false)]
    [InlineData("qwen2", "", false)]
    [InlineData("gpt2", "</think>\n#### ", true)]
    public void Probes_that_continue_inside_the_rollout_or_share_a_context_equal_the_reference(string arch, string cue, bool withCore)
    {
        // Completions that go on with the cue and the right answer (the final probe is the rollout's own tokens),
        // the cue and a wrong answer (only the answer is fed), one that stops inside the cue, and a duplicate
        // (every probe shared). With an empty cue, J_0 feeds its context's last token again.
        var settings = Settings with { AnswerCue = cue, Core = withCore ? new HeadCore(6, Enumerable.Range(0, 36).Select(i => 0.3f * MathF.Sin(i)).ToArray()) : null };
        var (engine, prompts) = Open(models.Dir(arch), ("Compute 12 + 7.", "19"));
        using var _ = engine;
        var tokenizer = engine.Model.Tokenizer;
        int[] Encode(string text) => tokenizer.Encode(text, addSpecialTokens: false).ToArray();
        var reasoning = Encode("<think><episode_1>12 + 7 = 19</episode_1>");
        int[] right = [.. reasoning, .. Encode(cue + "19")], wrong = [.. reasoning, .. Encode(cue + "20")];
        int[][] completions = [right, right, wrong, right[..(reasoning.Length + Math.Max(1, Encode(cue).Length - 1))]];
        var options = Options() with { L2T = settings };
        var scored = engine.Score(completions.Select(c => new GivenCompletion(prompts[0], c)).ToList(), options);
        foreach (var r in scored) AssertProbesEqualReference(engine, models.Weights(arch), prompts[0], r, settings);
    }

    /// <summary>Each J of <paramref name="r"/> against the float64 reference forward of prompt + context + cue + answer (with the head-core shift when set).</summary>
    private static void AssertProbesEqualReference(RolloutEngine engine, ModelWeights weights, EncodedPrompt prompt, RolloutResult r, L2TGeneration settings)
    {
        var tokenizer = engine.Model.Tokenizer;
        var probes = r.Score!.AnswerProbes!;
        int[] contexts = [r.Episodes[0].Start, .. r.Episodes.Select(e => e.End)];
        Assert.Equal(contexts.Length, probes.Length);
        // y* is what cue + answer, encoded together, adds to the cue's own encoding.
        var cue = tokenizer.Encode(settings.AnswerCue, addSpecialTokens: false);
        var joint = tokenizer.Encode(settings.AnswerCue + prompt.Answer, addSpecialTokens: false);
        int shared = cue.Zip(joint).TakeWhile(p => p.First == p.Second).Count();
        var cueFed = joint.Take(shared).ToArray();
        var answer = joint.Skip(shared).ToArray();
        var factors = settings.Core != null ? engine.HeadFactors(settings) : null;
        for (int k = 0; k < contexts.Length; k++)
        {
            var sequence = prompt.TokenIds.Concat(r.TokenIds.Take(contexts[k])).Concat(cueFed).Concat(answer).ToArray();
            var forward = ReferenceForward.Run(weights, sequence);
            int first = sequence.Length - answer.Length;
            double mean = Enumerable.Range(0, answer.Length).Average(j =>
            {
                int at = first + j - 1;
                var logits = factors == null ? forward.Logits[at] : Shifted(forward.Logits[at], forward.Hidden[at], factors, settings.Core!.ToArray());
                return ReferenceLogits.LogSoftmax(logits, answer[j], 0.8);
            });
            // log J (the mean log-probability): J itself is ~1/V on these random models, too small for an absolute tolerance.
            Assert.Equal(mean, Math.Log(probes[k]), 1e-4);
        }
        // ΔI telescopes: the episodes' fit gains add up to J_K − J_0.
        Assert.Equal(probes[^1] - probes[0], r.Score.Episodes.Sum(e => e.FitGain), 1e-9);
    }

    /// <summary>ℓ + U_r (M V_rᵀ h) in float64 (spec §6).</summary>
    private static double[] Shifted(double[] logits, double[] hidden, HeadFactors factors, float[] core)
    {
        int rank = factors.Rank;
        var v = Enumerable.Range(0, rank).Select(b => Enumerable.Range(0, factors.Width).Sum(i => (double)factors.HiddenBasis[b * factors.Width + i] * hidden[i])).ToArray();
        var s = Enumerable.Range(0, rank).Select(a => Enumerable.Range(0, rank).Sum(b => core[a * rank + b] * v[b])).ToArray();
        return logits.Select((l, i) => l + Enumerable.Range(0, rank).Sum(a => factors.VocabBasis[a * factors.Vocab + i] * s[a])).ToArray();
    }

    [Fact]
    public void Step_features_equal_the_projections_of_the_reference_logits_and_hidden_states()
    {
        var (engine, prompts) = Open(models.Dir("qwen2"), ("Compute 12 + 7.", "19"), ("No answer here", null));
        using var _ = engine;
        var factors = engine.HeadFactors(Settings);
        int rank = factors.Rank, vocab = factors.Vocab, width = factors.Width;
        foreach (var (r, prompt) in engine.Generate(prompts, Options(n: 2)).Select((r, i) => (r, prompts[i / 2])))
        {
            var reference = ReferenceForward.Run(models.Weights("qwen2"), prompt.TokenIds.Concat(r.TokenIds).ToArray());
            for (int t = 0; t < r.TokenIds.Length; t++)
            {
                int at = prompt.TokenIds.Length - 1 + t;
                var logits = reference.Logits[at];
                double max = logits.Max() / 0.8, z = logits.Sum(l => Math.Exp(l / 0.8 - max));
                for (int a = 0; a < rank; a++)
                {
                    double expectedV = Enumerable.Range(0, width).Sum(i => (double)factors.HiddenBasis[a * width + i] * reference.Hidden[at][i]);
                    double pu = Enumerable.Range(0, vocab).Sum(i => factors.VocabBasis[a * vocab + i] * Math.Exp(logits[i] / 0.8 - max) / z);
                    double expectedU = (factors.VocabBasis[a * vocab + r.TokenIds[t]] - pu) / 0.8;
                    Assert.Equal(expectedV, r.Features!.V[t * rank + a], 2e-4);
                    Assert.Equal(expectedU, r.Features.U[t * rank + a], 2e-4);
                }
            }
            if (prompt.Answer == null) Assert.Null(r.Score!.AnswerProbes);
        }
    }

    [Fact]
    public void A_zero_head_core_changes_nothing_and_a_nonzero_one_shifts_the_policy_by_U_M_v()
    {
        var (engine, prompts) = Open(models.Dir("llama"), ("Compute 12 + 7.", "19"));
        using var _ = engine;
        var greedy = new GenerationOptions { MaxNewTokens = 8, IgnoreEos = true, Sampling = new SamplingParams { Greedy = true }, L2T = Settings };
        var baseline = engine.Generate(prompts, greedy).Single();
        var zero = engine.Generate(prompts, greedy with { L2T = Settings with { Core = HeadCore.Zero(6) } }).Single();
        Assert.Equal(baseline.TokenIds, zero.TokenIds);
        Assert.Equal(baseline.Logprobs, zero.Logprobs);

        // A large core on one direction moves greedy choices: the shift reaches the sampler.
        var core = new float[36];
        core[0] = 50f;
        var shifted = engine.Generate(prompts, greedy with { L2T = Settings with { Core = new HeadCore(6, core) } }).Single();
        Assert.NotEqual(baseline.TokenIds, shifted.TokenIds);
    }

    [Theory]
    [InlineData("greedy", false)]
    [InlineData("truncated", false)]
    [InlineData("truncated", true)]
    public void Tokens_chosen_on_the_kernels_device_are_the_host_samplers(string sampling, bool withCore)
    {
        // ILGPU's CPU accelerator stands in for a GPU: tokens are drawn by the sampling kernel, statistics by the
        // softmax kernel, from the device's logits; the host sampler (float64) is the reference.
        var options = Options(n: 2) with
        {
            MaxNewTokens = 6,
            Sampling = sampling == "greedy" ? new SamplingParams { Greedy = true } : new SamplingParams { Temperature = 0.8, TopK = 40, TopP = 0.9, MinP = 0.01 },
            L2T = Settings with { Core = withCore ? new HeadCore(6, Enumerable.Range(0, 36).Select(i => 0.3f * MathF.Cos(i)).ToArray()) : null },
        };
        var (host, prompts) = Open(models.Dir("qwen2"), ("Compute 12 + 7.", "19"), ("Compute 3 - 1 + 5.", "7"));
        using var _ = host;
        using var device = RolloutEngine.Open(models.Dir("qwen2"), kernels: AcceleratorKind.Cpu);
        var expected = host.Generate(prompts, options).ToList();
        var actual = device.Generate(prompts, options).ToList();
        var scored = device.Score(actual.Select((r, i) => new GivenCompletion(prompts[i / 2], r.TokenIds)).ToList(), options);
        foreach (var (a, b) in expected.Zip(actual).Concat(expected.Zip(scored)))
        {
            Assert.Equal(a.TokenIds, b.TokenIds);
            Assert.Equal(a.Logprobs, b.Logprobs, (x, y) => Math.Abs(x - y) < 1e-4);
            Assert.Equal(a.RawLogprobs, b.RawLogprobs, (x, y) => Math.Abs(x - y) < 1e-4);
            Assert.Equal(a.Entropies, b.Entropies, (x, y) => Math.Abs(x - y) < 1e-4);
            Assert.Equal(a.Features!.U, b.Features!.U, (x, y) => Math.Abs(x - y) < 1e-4);
            Assert.Equal(a.Features.V, b.Features.V, (x, y) => Math.Abs(x - y) < 1e-4);
            Assert.Equal(a.Score!.AnswerProbes!, b.Score!.AnswerProbes!, (x, y) => Math.Abs(Math.Log(x) - Math.Log(y)) < 1e-4);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void With_penalties_the_kernels_device_draws_and_scores_the_penalised_policy_the_host_sampler_does(bool greedy)
    {
        // Penalties, a minimum length and top logprobs on ILGPU's CPU accelerator: the kernels penalise the device's
        // logits before drawing; the host sampler penalises its copy, and the kernels' logits after it for u_t.
        var options = Options(n: 2) with
        {
            MaxNewTokens = 8, MinNewTokens = 4, TopLogprobs = 3,
            Sampling = greedy
                ? new SamplingParams { Greedy = true, RepetitionPenalty = 1.4, FrequencyPenalty = 0.5 }
                : new SamplingParams { Temperature = 0.8, TopK = 40, TopP = 0.9, RepetitionPenalty = 0.8, PresencePenalty = 0.7 },
        };
        var (host, prompts) = Open(models.Dir("qwen2"), ("Compute 12 + 7.", "19"), ("Compute 3 - 1 + 5.", "7"));
        using var _ = host;
        using var device = RolloutEngine.Open(models.Dir("qwen2"), kernels: AcceleratorKind.Cpu);
        var free = host.Generate(prompts, options with { Sampling = new SamplingParams { Greedy = true }, MinNewTokens = 0, TopLogprobs = 0 }).First();
        options = options with { StopTokenIds = [free.TokenIds[1]] }; // a stop id the minimum has to hold off
        var expected = host.Generate(prompts, options).ToList();
        var actual = device.Generate(prompts, options).ToList();
        Assert.Equal(expected.Count, actual.Count);
        foreach (var (a, b) in expected.Zip(actual))
        {
            Assert.True(a.TokenIds.Length >= 4);
            Assert.Equal(a.TokenIds, b.TokenIds);
            Assert.Equal(a.Logprobs, b.Logprobs, (x, y) => Math.Abs(x - y) < 1e-4);
            Assert.Equal(a.Entropies, b.Entropies, (x, y) => Math.Abs(x - y) < 1e-4);
            Assert.Equal(a.Features!.U, b.Features!.U, (x, y) => Math.Abs(x - y) < 1e-4);
            Assert.Equal(a.Features.V, b.Features.V, (x, y) => Math.Abs(x - y) < 1e-4);
            Assert.Equal(a.TopLogprobs!.Count, b.TopLogprobs!.Count);
            foreach (var (x, y) in a.TopLogprobs.Zip(b.TopLogprobs))
            {
                Assert.Equal(x.Select(t => t.TokenId), y.Select(t => t.TokenId));
                Assert.Equal(x.Select(t => t.Logprob), y.Select(t => t.Logprob), (l, m) => Math.Abs(l - m) < 1e-4);
            }
            // On the device the sampled token's alternative is formed as its logprob is: the same float.
            foreach (var (t, alternatives) in b.TopLogprobs.Select((x, t) => (t, x)))
                if (Array.FindIndex(alternatives, x => x.TokenId == b.TokenIds[t]) is var at and >= 0) Assert.Equal(b.Logprobs[t], alternatives[at].Logprob);
        }
    }

    [Fact]
    public void With_penalties_the_step_features_project_the_penalised_policy_on_both_output_paths()
    {
        // u_t = (U_r[z,:] − U_rᵀ p′) / τ with p′ the penalised policy the token was drawn from. Decode steps written in
        // place share their logits with the host sampler's input: penalising them before the draw would show as a
        // difference from the copy path, and as a double penalty against the reference.
        var (engine, prompts) = Open(models.Dir("llama"), ("Compute 12 + 7.", "19"));
        using var _ = engine;
        var sampling = new SamplingParams { Temperature = 0.8, RepetitionPenalty = 1.5, PresencePenalty = 2, FrequencyPenalty = 0.5 };
        var options = Options(n: 2) with { Sampling = sampling };
        var inPlace = engine.Generate(prompts, options).ToList();
        var copied = engine.Generate(prompts, options with { L2T = Settings with { ZeroCopy = false } }).ToList();
        var factors = engine.HeadFactors(Settings);
        int rank = factors.Rank, vocab = factors.Vocab;
        var prompt = prompts[0].TokenIds;
        foreach (var (r, c) in inPlace.Zip(copied))
        {
            Assert.Equal(r.TokenIds, c.TokenIds);
            Assert.Equal(r.Features!.U, c.Features!.U);
            var logits = ReferenceLogits.ForCompletion(models.Weights("llama"), prompt, r.TokenIds);
            for (int t = 0; t < r.TokenIds.Length; t++)
            {
                var counts = r.TokenIds.Take(t).CountBy(x => x).ToDictionary();
                var penalised = logits[t].Select((l, i) =>
                {
                    int n = counts.GetValueOrDefault(i);
                    double x = n > 0 || prompt.Contains(i) ? (l > 0 ? l / 1.5 : l * 1.5) : l;
                    return x - 0.5 * n - (n > 0 ? 2 : 0);
                }).ToArray();
                Assert.Equal(ReferenceLogits.LogSoftmax(penalised, r.TokenIds[t], 0.8), r.Logprobs[t], 1e-3);
                double max = penalised.Max() / 0.8, z = penalised.Sum(l => Math.Exp(l / 0.8 - max));
                for (int a = 0; a < rank; a++)
                {
                    double pu = Enumerable.Range(0, vocab).Sum(i => factors.VocabBasis[a * vocab + i] * Math.Exp(penalised[i] / 0.8 - max) / z);
                    Assert.Equal((factors.VocabBasis[a * vocab + r.TokenIds[t]] - pu) / 0.8, r.Features.U[t * rank + a], 2e-4);
                }
            }
        }
    }

    [Fact]
    public void A_new_head_core_or_reward_weight_reuses_the_head_factors_and_a_new_rank_does_not()
    {
        var (engine, _) = Open(models.Dir("llama"));
        using var _ = engine;
        var factors = engine.HeadFactors(Settings);
        Assert.Same(factors, engine.HeadFactors(Settings with { Core = HeadCore.Zero(6) }));
        Assert.Same(factors, engine.HeadFactors(Settings with { Options = Settings.Options with { Alpha = 0.5 } }));
        Assert.NotSame(factors, engine.HeadFactors(Settings with { Options = Settings.Options with { Rank = 5 } }));
    }

    [Fact]
    public void Teacher_forced_scoring_of_sampled_completions_reproduces_what_sampling_reported()
    {
        var (engine, prompts) = Open(models.Dir("gpt2"), ("Compute 12 + 7.", "19"), ("A longer prompt: compute 3 - 1 + 5.", "7"));
        using var _ = engine;
        var options = Options();
        var sampled = engine.Generate(prompts, options).ToList();
        var scored = engine.Score(sampled.Select((r, i) => new GivenCompletion(prompts[i / 3], r.TokenIds)).ToList(), options);

        foreach (var (a, b) in sampled.Zip(scored))
        {
            Assert.Equal(a.TokenIds, b.TokenIds);
            Assert.Equal(a.Logprobs, b.Logprobs, (x, y) => Math.Abs(x - y) < 1e-4);
            Assert.Equal(a.Entropies, b.Entropies, (x, y) => Math.Abs(x - y) < 1e-4);
            Assert.Equal(a.Features!.U, b.Features!.U, (x, y) => Math.Abs(x - y) < 1e-4);
            Assert.Equal(a.Features.V, b.Features.V, (x, y) => Math.Abs(x - y) < 1e-4);
            Assert.Equal(a.Score!.AnswerProbes!, b.Score!.AnswerProbes!, (x, y) => Math.Abs(x - y) < 1e-5);
            Assert.Equal(a.Score.Advantages, b.Score.Advantages, (x, y) => Math.Abs(x - y) < 1e-3);
        }
    }

    [Fact]
    public void The_zero_copy_path_and_the_copy_path_give_identical_tokens_and_features()
    {
        var (engine, prompts) = Open(models.Dir("llama"), ("Compute 12 + 7.", "19"), ("A longer prompt: compute 3 - 1 + 5.", "7"));
        using var _ = engine;
        var inPlace = engine.Generate(prompts, Options()).ToList();
        var copied = engine.Generate(prompts, Options() with { L2T = Settings with { ZeroCopy = false } }).ToList();
        foreach (var (a, b) in inPlace.Zip(copied))
        {
            Assert.Equal(a.TokenIds, b.TokenIds);
            Assert.Equal(a.Logprobs, b.Logprobs);
            Assert.Equal(a.Features!.U, b.Features!.U);
            Assert.Equal(a.Features.V, b.Features.V);
            Assert.Equal(a.Score!.Advantages, b.Score!.Advantages);
        }
    }
    [Theory]
    [MemberData(nameof(EngineModels.Names), MemberType = typeof(EngineModels))]
    public void A_prompt_that_leaves_no_room_for_the_probe_ends_at_its_first_token_unprobed_and_others_keep_room(string arch)
    {
        using var engine = RolloutEngine.Open(models.WithContextWindow(arch, 32));
        int probeLength = engine.Model.Tokenizer.Encode(Settings.AnswerCue + "12345", addSpecialTokens: false).Count;
        // Prompts of every length the window takes: the longest leave no room for cue and answer after a first token.
        var prompts = new List<EncodedPrompt>();
        for (int words = 1; ; words++)
        {
            try { prompts.Add(engine.Encode([new Prompt($"w{words}", string.Join(' ', Enumerable.Repeat("ab", words)), null, "12345", null)])[0]); }
            catch (InputException) { break; } // it fills the window
        }
        Assert.Contains(prompts, p => p.TokenIds.Length + 1 + probeLength > 32);
        Assert.Contains(prompts, p => p.TokenIds.Length + 1 + probeLength <= 32);

        var options = Options(n: 1) with { MaxNewTokens = 64, Sampling = new SamplingParams { Greedy = true } };
        var rollouts = engine.Generate(prompts, options).ToList();
        Assert.Equal(prompts.Count, rollouts.Count);
        for (int i = 0; i < prompts.Count; i++)
        {
            var r = rollouts[i];
            int used = prompts[i].TokenIds.Length + r.TokenIds.Length;
            if (prompts[i].TokenIds.Length + 1 + probeLength > 32)
            {
                // No room: one token (from the prefill), finish "length", and no probe rather than one past the window.
                Assert.Single(r.TokenIds);
                Assert.Equal(FinishReason.Length, r.FinishReason);
                Assert.Null(r.Score!.AnswerProbes);
            }
            else
            {
                Assert.NotNull(r.Score!.AnswerProbes);
                Assert.True(used + probeLength <= 32, $"prompt {i}: {used} tokens and a probe of {probeLength} do not fit 32");
            }
        }
    }
}
