using Rollout.Engine.Generation;
using Rollout.Engine.Prompts;
using Rollout.Engine.Sampling;
using Rollout.Engine.Tests.Support;
using Rollout.Kernels;

namespace Rollout.Engine.Tests.Generation;

/// <summary>
/// Requests with their own settings in one call, groups larger than a batch, resuming after an interruption and
/// cancelling a request: each checked against runs that do none of it (a prompt alone, one batch, no skip).
/// </summary>
[Collection(EngineModelsCollection.Name)]
public sealed class RequestsAndResumeTests(EngineModels models)
{
    private static readonly L2TGeneration L2T = new() { Options = new L2TOptions { Rank = 6 }, AnswerCue = "\n#### " };

    private static IReadOnlyList<EncodedPrompt> Prompts(RolloutEngine engine, int count) =>
        engine.Encode(Enumerable.Range(0, count).Select(i => new Prompt($"p{i}", $"Compute {i} + {2 * i} and say why: " + new string('z', i % 5), null, $"{3 * i}", null)));

    [Fact]
    public void The_plan_chunks_large_groups_and_packs_whole_small_ones()
    {
        // Hand-made: batch size 4; requests of 3, 2, 9 and 1 samples.
        var plan = BatchPlan.Pack([3, 2, 9, 1], 4);
        Assert.Equal(
            [
                [new SampleChunk(0, 0, 3)],
                [new SampleChunk(1, 0, 2)],
                [new SampleChunk(2, 0, 4)],
                [new SampleChunk(2, 4, 4)],
                [new SampleChunk(2, 8, 1), new SampleChunk(3, 0, 1)],
            ],
            plan);
    }

    [Fact]
    public void Requests_with_their_own_seeds_budgets_and_stops_equal_each_request_alone()
    {
        using var engine = RolloutEngine.Open(models.Dir("qwen2"));
        var prompts = Prompts(engine, 3);
        var options = new[]
        {
            new GenerationOptions { SamplesPerPrompt = 2, MaxNewTokens = 9, Seed = 1, IgnoreEos = true, BatchSize = 8 },
            new GenerationOptions { SamplesPerPrompt = 1, MaxNewTokens = 4, Seed = 2, IgnoreEos = true, BatchSize = 8, Sampling = new SamplingParams { Greedy = true } },
            new GenerationOptions { SamplesPerPrompt = 3, MaxNewTokens = 12, Seed = 3, IgnoreEos = true, BatchSize = 8, Sampling = new SamplingParams { Temperature = 0.6, TopK = 5 } },
        };
        var together = engine.Generate(prompts.Select((p, i) => new GenerationRequest(p, options[i])).ToList(), cancel: TestContext.Current.CancellationToken).ToList();

        var alone = prompts.SelectMany((p, i) => engine.Generate([p], options[i])).ToList();
        Assert.Equal(6, alone.Count);
        Assert.Equal(alone.Count, together.Count);
        for (int i = 0; i < alone.Count; i++)
        {
            Assert.Equal((alone[i].PromptId, alone[i].Sample), (together[i].PromptId, together[i].Sample));
            Assert.Equal(alone[i].TokenIds, together[i].TokenIds);
            Assert.Equal(alone[i].Logprobs, together[i].Logprobs, (a, b) => Math.Abs(a - b) < 1e-4);
        }
        Assert.Equal([9, 9, 4, 12, 12, 12], together.Select(r => r.TokenIds.Length));
    }

    [Fact]
    public void Requests_that_cannot_share_a_batch_are_refused_in_one_line()
    {
        using var engine = RolloutEngine.Open(models.Dir("gpt2"));
        var prompts = Prompts(engine, 2);
        var plain = new GenerationOptions { MaxNewTokens = 4 };
        var e = Assert.Throws<InputException>(() => engine.Generate(
            [new GenerationRequest(prompts[0], plain), new GenerationRequest(prompts[1], plain with { BatchSize = 3 })], cancel: TestContext.Current.CancellationToken).ToList());
        Assert.Contains("'p1'", e.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_group_larger_than_the_batch_is_decoded_in_chunks_with_the_same_rollouts_and_scores(bool l2t)
    {
        using var engine = RolloutEngine.Open(models.Dir("llama"));
        var prompts = Prompts(engine, 2);
        var options = new GenerationOptions
        {
            SamplesPerPrompt = 7, MaxNewTokens = 10, Seed = 4, BatchSize = 16, Sampling = new SamplingParams { Temperature = 0.9 },
            L2T = l2t ? L2T : null,
        };
        var whole = engine.Generate(prompts, options).ToList();
        var chunked = engine.Generate(prompts, options with { BatchSize = 3 }).ToList();

        Assert.Equal(14, whole.Count);
        Assert.Equal(whole.Count, chunked.Count);
        for (int i = 0; i < whole.Count; i++)
        {
            Assert.Equal((whole[i].PromptId, whole[i].Sample), (chunked[i].PromptId, chunked[i].Sample));
            Assert.Equal(whole[i].TokenIds, chunked[i].TokenIds);
            if (!l2t) continue;
            // The group is scored as one: its advantages are normalised over all 7 samples, not over a chunk.
            Assert.Equal(whole[i].Score!.OutcomeReward, chunked[i].Score!.OutcomeReward);
            Assert.Equal(whole[i].Score!.Advantages, chunked[i].Score!.Advantages, (a, b) => Math.Abs(a - b) < 1e-3);
        }
    }

    /// <summary>Static batches (an Optimum-layout graph) and continuous ones (the same weights, fused).</summary>
    public static readonly TheoryData<string, bool, int> Resumes = new(
        from layout in new[] { EngineModels.Optimum("qwen2"), EngineModels.Fused("qwen2") }
        from c in new[] { (false, 1), (false, 5), (false, 11), (true, 4), (true, 9),
            (true, 13) } // the last batch starts inside the large group: the run restarts a batch earlier
        select (layout, c.Item1, c.Item2));

    [Theory]
    [MemberData(nameof(Resumes))]
    public void Skipping_the_rollouts_an_interrupted_run_wrote_gives_exactly_the_rest(string model, bool l2t, int skip)
    {
        using var engine = RolloutEngine.Open(models.Dir(model));
        var prompts = Prompts(engine, 4);
        // Three samples a prompt in batches of 5: groups share batches and the large one spans two.
        var requests = prompts.Select((p, i) => new GenerationRequest(p, new GenerationOptions
        {
            SamplesPerPrompt = i == 2 ? 6 : 3, MaxNewTokens = 8, Seed = 7, BatchSize = 5,
            // The batch-wide Fisher makes a group's scores depend on the groups scored with it: the resumed run must score the same ones.
            L2T = l2t ? L2T with { Options = L2T.Options with { Scope = FisherScope.Batch } } : null,
        })).ToList();
        var full = engine.Generate(requests, cancel: TestContext.Current.CancellationToken).ToList();
        var rest = engine.Generate(requests, skip: skip, cancel: TestContext.Current.CancellationToken).ToList();

        Assert.Equal(15, full.Count);
        Assert.Equal(full.Count - skip, rest.Count);
        for (int i = 0; i < rest.Count; i++)
        {
            var expected = full[skip + i];
            Assert.Equal((expected.PromptId, expected.Sample), (rest[i].PromptId, rest[i].Sample));
            Assert.Equal(expected.TokenIds, rest[i].TokenIds);
            // Bit for bit: the same batches are decoded (or, continuously, each row's floats are its own), so resuming cannot change a float of what is written.
            Assert.Equal(expected.Logprobs, rest[i].Logprobs);
            if (l2t) Assert.Equal(expected.Score!.Advantages, rest[i].Score!.Advantages);
        }
    }

    [Theory]
    [InlineData("gpt2-optimum")]
    [InlineData("gpt2-fused")]
    public void A_cancelled_request_leaves_the_batch_and_the_others_are_unchanged(string model)
    {
        using var engine = RolloutEngine.Open(models.Dir(model));
        var prompts = Prompts(engine, 3);
        var options = new GenerationOptions { SamplesPerPrompt = 2, MaxNewTokens = 12, IgnoreEos = true, Seed = 5, BatchSize = 8 };
        var expected = engine.Generate(prompts, options).ToList();

        using var cancel = new CancellationTokenSource();
        var requests = prompts.Select((p, i) => new GenerationRequest(p, options) { Cancellation = i == 1 ? cancel.Token : default }).ToList();
        int tokensOfCancelled = 0;
        var actual = engine.Generate(requests, token =>
        {
            if (token.Request != 1) return;
            if (++tokensOfCancelled == 6) cancel.Cancel(); // three steps of its two samples
        }, cancel: TestContext.Current.CancellationToken).ToList();

        Assert.Equal(6, tokensOfCancelled); // it got no token after the cancel
        Assert.Equal(expected.Where(r => r.PromptId != "p1").Select(r => (r.PromptId, r.Sample, string.Join(',', r.TokenIds))),
            actual.Select(r => (r.PromptId, r.Sample, string.Join(',', r.TokenIds))));
    }

    [Fact]
    public async Task A_request_cancelled_while_its_rollouts_are_probed_leaves_and_the_others_are_unchanged()
    {
        using var engine = RolloutEngine.Open(models.Dir("gpt2-fused"));
        var prompts = Prompts(engine, 3);
        // p0 and p1 fill the batch and end together; p2 joins when two slots are free, while p1's rollouts are still
        // probing in their slots or waiting for one another's probes (a prompt's samples share their first context).
        var options = new GenerationOptions
        {
            SamplesPerPrompt = 2, MaxNewTokens = 6, IgnoreEos = true, Seed = 5, BatchSize = 4,
            L2T = new L2TGeneration { Options = new L2TOptions { Rank = 4 }, AnswerCue = "\n#### " },
        };
        var expected = engine.Generate(prompts, options).ToList();

        using var cancel = new CancellationTokenSource();
        var requests = prompts.Select((p, i) => new GenerationRequest(p, options) { Cancellation = i == 1 ? cancel.Token : default }).ToList();
        int tokensOfCancelled = 0;
        var run = Task.Run(() => engine.Generate(requests, token =>
        {
            if (token.Request == 1) tokensOfCancelled++;
            if (token.Request == 2) cancel.Cancel();
        }, cancel: TestContext.Current.CancellationToken).ToList(), TestContext.Current.CancellationToken);
        // A hang fails here (TimeoutException) rather than holding the run.
        var actual = await run.WaitAsync(TimeSpan.FromMinutes(2), TestContext.Current.CancellationToken);
        Assert.Equal(12, tokensOfCancelled);
        var kept = expected.Where(r => r.PromptId != "p1").ToList();
        Assert.Equal(kept.Count, actual.Count);
        for (int i = 0; i < kept.Count; i++)
        {
            Assert.Equal((kept[i].PromptId, kept[i].Sample), (actual[i].PromptId, actual[i].Sample));
            Assert.Equal(kept[i].TokenIds, actual[i].TokenIds);
            Assert.Equal(kept[i].Score!.AnswerProbes, actual[i].Score!.AnswerProbes);
        }
    }

    [Fact]
    public void A_cancelled_run_stops_at_the_next_step()
    {
        using var engine = RolloutEngine.Open(models.Dir("gpt2"));
        var prompts = Prompts(engine, 2);
        using var cancel = new CancellationTokenSource();
        int tokens = 0;
        Assert.ThrowsAny<OperationCanceledException>(() => engine.Generate(RolloutEngine.Requests(prompts, new GenerationOptions { MaxNewTokens = 50, IgnoreEos = true }),
            _ => { if (++tokens == 4) cancel.Cancel(); }, cancel: cancel.Token).ToList());
        Assert.Equal(4, tokens);
    }
}
