using Rollout.Engine.Generation;
using Rollout.Engine.Prompts;
using Rollout.Engine.Sampling;
using Rollout.Engine.Tests.Support;
using Rollout.Kernels;

namespace Rollout.Engine.Tests.Generation;

/// <summary>
/// Fused graphs decode with continuous batching (rows leave and join one KV buffer): checked against the Optimum
/// graph of the same weights decoded in static batches (today's rollouts), against itself at other batch sizes
/// (a row's floats must not depend on its batch-mates: bit for bit), and teacher-forced. Resuming and cancelling
/// are checked on both layouts in <see cref="RequestsAndResumeTests"/>.
/// </summary>
[Collection(EngineModelsCollection.Name)]
public sealed class ContinuousBatchingTests(EngineModels models)
{
    private static readonly L2TGeneration L2T = new() { Options = new L2TOptions { Rank = 6 }, AnswerCue = "\n#### " };

    /// <summary>Prompts of different lengths, each with its own budget, so rows end at different steps and others take their slots.</summary>
    private static List<GenerationRequest> Requests(RolloutEngine engine, int count, GenerationOptions options, bool unevenBudgets = true) =>
        engine.Encode(Enumerable.Range(0, count).Select(i => new Prompt($"p{i}", $"Compute {i} + {2 * i}: " + new string('z', 3 * (i % 4)), null, $"{3 * i}", null)))
            .Select((p, i) => new GenerationRequest(p, unevenBudgets ? options with { MaxNewTokens = options.MaxNewTokens - 3 * (i % 3) } : options))
            .ToList();

    private static readonly GenerationOptions Sampled = new()
    {
        SamplesPerPrompt = 3, MaxNewTokens = 14, Seed = 3, IgnoreEos = true, Sampling = new SamplingParams { Temperature = 0.9 },
    };

    [Theory]
    [MemberData(nameof(EngineModels.Names), MemberType = typeof(EngineModels))]
    public void A_fused_graph_samples_the_rollouts_of_the_optimum_graph_with_the_same_weights(string family)
    {
        using var optimum = RolloutEngine.Open(models.Dir(EngineModels.Optimum(family)));
        using var fused = RolloutEngine.Open(models.Dir(EngineModels.Fused(family)));
        // Greedy: the two graphs' floats differ in their last bits, which a sampled draw can feel (a uniform next to a
        // boundary of the cumulative distribution) but an argmax practically never does.
        var greedy = Sampled with { Sampling = new SamplingParams { Greedy = true } };
        var expected = optimum.Generate(Requests(optimum, 5, greedy with { BatchSize = 16 }), cancel: TestContext.Current.CancellationToken).ToList();
        // Batches of 4: most rows join a running batch in a slot another row left.
        var actual = fused.Generate(Requests(fused, 5, greedy with { BatchSize = 4 }), cancel: TestContext.Current.CancellationToken).ToList();

        Assert.Equal(15, expected.Count);
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal((expected[i].PromptId, expected[i].Sample), (actual[i].PromptId, actual[i].Sample));
            Assert.Equal(expected[i].TokenIds, actual[i].TokenIds);
            Assert.Equal(expected[i].Logprobs, actual[i].Logprobs, (a, b) => Math.Abs(a - b) < 1e-4);
        }
        Assert.Contains(actual, r => r.TokenIds.Length != actual[0].TokenIds.Length);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Continuous_batches_give_the_same_floats_whatever_the_batch_size(bool l2t)
    {
        using var engine = RolloutEngine.Open(models.Dir(EngineModels.Fused("qwen2")));
        var options = Sampled with { L2T = l2t ? L2T : null };
        var runs = new[] { 16, 5, 2 }.Select(batch =>
            engine.Generate(Requests(engine, 6, options with { BatchSize = batch }, unevenBudgets: !l2t), cancel: TestContext.Current.CancellationToken).ToList()).ToList();

        Assert.All(runs, run => Assert.Equal(18, run.Count));
        foreach (var run in runs.Skip(1))
            for (int i = 0; i < runs[0].Count; i++)
            {
                Assert.Equal(runs[0][i].TokenIds, run[i].TokenIds);
                Assert.Equal(runs[0][i].Logprobs, run[i].Logprobs);
                if (!l2t) continue;
                Assert.Equal(runs[0][i].Score!.AnswerProbes, run[i].Score!.AnswerProbes);
                // Scored with other groups at another batch size: the scoring kernels' sums round differently.
                Assert.Equal(runs[0][i].Score!.Advantages, run[i].Score!.Advantages, (a, b) => Math.Abs(a - b) <= 1e-5 * Math.Max(1, Math.Abs(a)));
            }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Lanes_decode_the_rollouts_of_one_lane(bool l2t)
    {
        using var one = RolloutEngine.Open(models.Dir(EngineModels.Fused("llama")));
        using var two = RolloutEngine.Open(models.Dir(EngineModels.Fused("llama")), lanes: 2);
        // Batch 5 over two lanes: 3 and 2 slots, so a prompt's 3 samples fan out into one lane or are split over both.
        var options = Sampled with { L2T = l2t ? L2T : null, BatchSize = 5 };
        var expected = one.Generate(Requests(one, 6, options, unevenBudgets: !l2t), cancel: TestContext.Current.CancellationToken).ToList();
        var actual = two.Generate(Requests(two, 6, options, unevenBudgets: !l2t), cancel: TestContext.Current.CancellationToken).ToList();

        Assert.Equal(18, expected.Count);
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal((expected[i].PromptId, expected[i].Sample), (actual[i].PromptId, actual[i].Sample));
            Assert.Equal(expected[i].TokenIds, actual[i].TokenIds);
            Assert.Equal(expected[i].Logprobs, actual[i].Logprobs);
            if (!l2t) continue;
            Assert.Equal(expected[i].Features!.U, actual[i].Features!.U);
            Assert.Equal(expected[i].Score!.AnswerProbes, actual[i].Score!.AnswerProbes);
            Assert.Equal(expected[i].Score!.Advantages, actual[i].Score!.Advantages);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Probes_run_in_the_batch_give_the_answer_likelihood_teacher_forced_after_each_context(int lanes)
    {
        using var engine = RolloutEngine.Open(models.Dir(EngineModels.Fused("qwen2")), lanes: lanes);
        var options = Sampled with { L2T = L2T, SamplesPerPrompt = 3, BatchSize = 4, MaxNewTokens = 10, IgnoreEos = false, Sampling = new SamplingParams { Temperature = 1 } };
        var requests = Requests(engine, 4, options, unevenBudgets: false);
        var rollouts = engine.Generate(requests, cancel: TestContext.Current.CancellationToken).ToList();

        // The reference: J_k = exp(mean log π(y*_j | prompt, completion[..L_k], cue, y*_<j)), each context teacher-forced
        // on its own (one prefill, no L2T), where L_0 is the first episode's start and L_k episode k's end.
        var plain = options with { L2T = null };
        Assert.Equal(12, rollouts.Count);
        int probed = 0;
        foreach (var rollout in rollouts)
        {
            var prompt = requests.Single(r => r.Prompt.Id == rollout.PromptId).Prompt;
            var joint = engine.Model.Tokenizer.Encode(L2T.AnswerCue + prompt.Answer, addSpecialTokens: false);
            var cue = engine.Model.Tokenizer.Encode(L2T.AnswerCue, addSpecialTokens: false);
            int shared = 0;
            while (shared < cue.Count && cue[shared] == joint[shared]) shared++;
            int answerTokens = joint.Count - shared;
            int[] contexts = [rollout.Episodes[0].Start, .. rollout.Episodes.Select(e => e.End)];
            var probes = rollout.Score!.AnswerProbes!;
            Assert.Equal(contexts.Length, probes.Length);
            for (int k = 0; k < contexts.Length; k++)
            {
                var forced = engine.Score([new GivenCompletion(prompt, [.. rollout.TokenIds[..contexts[k]], .. joint])], plain).Single();
                double expected = Math.Exp(forced.Logprobs[^answerTokens..].Average(l => (double)l));
                Assert.Equal(expected, probes[k], 1e-4 * Math.Max(1, expected));
                probed++;
            }
        }
        Assert.True(probed > rollouts.Count, $"{probed} probes");
    }

    [Fact]
    public void Lanes_are_refused_where_they_cannot_run()
    {
        Assert.Equal(RolloutEngine.Lanes, Assert.Throws<InputException>(() => RolloutEngine.Open(models.Dir(EngineModels.Fused("qwen2")), lanes: 0)).Setting);
        var optimum = Assert.Throws<InputException>(() => RolloutEngine.Open(models.Dir(EngineModels.Optimum("qwen2")), lanes: 2));
        Assert.Contains("fused graph", optimum.Message);
    }

    [Theory]
    [InlineData("gpt2")]
    [InlineData("llama")]
    public void L2T_on_a_fused_graph_probes_and_scores_as_on_the_optimum_graph(string family)
    {
        using var optimum = RolloutEngine.Open(models.Dir(EngineModels.Optimum(family)));
        using var fused = RolloutEngine.Open(models.Dir(EngineModels.Fused(family)));
        var options = Sampled with { L2T = L2T, SamplesPerPrompt = 4, MaxNewTokens = 12, IgnoreEos = false, Sampling = new SamplingParams { Greedy = true } };
        var expected = optimum.Generate(Requests(optimum, 4, options with { BatchSize = 16 }, unevenBudgets: false), cancel: TestContext.Current.CancellationToken).ToList();
        var actual = fused.Generate(Requests(fused, 4, options with { BatchSize = 3 }, unevenBudgets: false), cancel: TestContext.Current.CancellationToken).ToList();

        Assert.Equal(16, expected.Count);
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].TokenIds, actual[i].TokenIds);
            var (e, a) = (expected[i].Score!, actual[i].Score!);
            Assert.NotNull(e.AnswerProbes);
            Assert.Equal(e.AnswerProbes!.Length, a.AnswerProbes!.Length);
            Assert.Equal(e.AnswerProbes, a.AnswerProbes, (x, y) => Math.Abs(x - y) <= 1e-4 * Math.Max(1, Math.Abs(x)));
            Assert.Equal(e.Advantages.Length, a.Advantages.Length);
            Assert.Equal(e.Advantages, a.Advantages, (x, y) => Math.Abs(x - y) < 1e-2);
        }
    }

    [Fact]
    public void Teacher_forcing_a_fused_graph_gives_the_sampled_logprobs_and_probes()
    {
        using var engine = RolloutEngine.Open(models.Dir(EngineModels.Fused("llama")));
        var options = Sampled with { L2T = L2T, SamplesPerPrompt = 2, BatchSize = 3, IgnoreEos = false };
        var sampled = engine.Generate(Requests(engine, 3, options, unevenBudgets: false), cancel: TestContext.Current.CancellationToken).ToList();
        var prompts = Requests(engine, 3, options).Select(r => r.Prompt).ToList();
        var scored = engine.Score(sampled.Select(r => new GivenCompletion(prompts.Single(p => p.Id == r.PromptId), r.TokenIds)).ToList(), options);

        Assert.Equal(sampled.Count, scored.Count);
        for (int i = 0; i < sampled.Count; i++)
        {
            Assert.Equal(sampled[i].Logprobs, scored[i].Logprobs, (a, b) => Math.Abs(a - b) < 1e-4);
            Assert.Equal(sampled[i].Score!.AnswerProbes!, scored[i].Score!.AnswerProbes!, (a, b) => Math.Abs(a - b) <= 1e-4 * Math.Max(1, Math.Abs(a)));
        }
    }
}
