using Rollout.Engine.Model;
using Rollout.Interop.Buffers;
using Rollout.Interop.Tests.Support;
using Rollout.Kernels.Runtime;
using Rollout.Kernels.Step;
using Rollout.Models.Reference;

namespace Rollout.Interop.Tests.Buffers;

/// <summary>
/// A decoder step written into <see cref="StepOutputBuffers"/> (CPU provider, CPU accelerator) against the same
/// step with outputs ONNX Runtime allocates, and the greedy decode against the float64 reference.
/// </summary>
[Collection(TinyModelCollection.Name)]
public sealed class BoundStepTests(TinyModel model, Hosts hosts)
{
    private DecoderSession Session => model.Session;

    [Fact]
    public void A_bound_prefill_writes_into_the_buffers_what_an_unbound_one_returns()
    {
        long[][] prompts = [[5, 17, 200, 33, 9], [1, 2, 3, 4, 5]];
        const int rows = 2, positions = 5;
        var host = hosts.Get(AcceleratorKind.Cpu);
        using var buffers = new StepOutputBuffers(host, maxRows: 3, maxPositions: 6, Session.VocabSize, Session.Config.Hidden);
        const float untouched = 1e9f;
        buffers.HostLogits(3, 6).Fill(untouched);
        buffers.HostHiddenStates(3, 6).Fill(untouched);

        var ids = prompts.SelectMany(p => p).ToArray();
        var mask = ids.Select(_ => 1L).ToArray();
        var positionIds = prompts.SelectMany(p => p.Select((_, i) => (long)i)).ToArray();
        using var empty = KvCache.Empty(Session.Signature, rows);
        using var unbound = Session.Run(ids, mask, positionIds, positions, empty, withHiddenStates: true);
        using var unboundPresent = unbound.Present;
        var targets = buffers.Targets(rows, positions);
        using var bound = Session.Run(ids, mask, positionIds, positions, empty, withHiddenStates: true, targets);
        using var boundPresent = bound.Present;

        // Zero copy: ONNX Runtime wrote where ILGPU allocated, and the step reads that memory.
        Assert.Equal(buffers.LogitsPointer, Pointers.Of(targets.Logits));
        Assert.Equal(buffers.HiddenStatesPointer, Pointers.Of(targets.HiddenStates!));
        Assert.Equal(buffers.LogitsPointer, Pointers.Of(bound.AllLogits));
        Assert.Equal(buffers.HiddenStatesPointer, Pointers.Of(bound.AllHiddenStates));

        // What the kernels see is exactly what the unbound step returned, and nothing past the step was touched.
        var logits = unbound.AllLogits.ToArray();
        var hidden = unbound.AllHiddenStates.ToArray();
        Assert.Equal(logits, buffers.Logits(rows, positions).Read());
        Assert.Equal(hidden, buffers.HiddenStates(rows, positions).Read());
        Assert.Equal(untouched, buffers.HostLogits(3, 6)[logits.Length]);
        Assert.Equal(untouched, buffers.HostHiddenStates(3, 6)[hidden.Length]);
        for (int r = 0; r < rows; r++)
        for (int p = 0; p < positions; p++)
            Assert.Equal(unbound.Logits(r, p).ToArray(), bound.Logits(r, p).ToArray());

        // A kernel reading the view agrees with its float64 reference on the unbound logits.
        int[] tokens = Enumerable.Range(0, rows * positions).Select(i => i * 31 % Session.VocabSize).ToArray();
        using var tokenBuffer = host.Accelerator.Allocate1D(tokens);
        using var statistics = host.Accelerator.Allocate1D<StepStatistics>(tokens.Length);
        SoftmaxStatistics.Run(host, buffers.Logits(rows, positions), tokenBuffer.View, statistics.View, Session.VocabSize, temperature: 0.7f);
        var expected = SoftmaxStatistics.Reference(logits, tokens, Session.VocabSize, 0.7f);
        var actual = statistics.GetAsArray1D();
        for (int i = 0; i < tokens.Length; i++)
        {
            Assert.Equal(expected[i].LogSumExp, actual[i].LogSumExp, 1e-4);
            Assert.Equal(expected[i].LogProb, actual[i].LogProb, 1e-4);
            Assert.Equal(expected[i].Entropy, actual[i].Entropy, 1e-4);
        }
    }

    [Fact]
    public void A_kv_cached_greedy_decode_into_the_buffers_matches_the_unbound_decode_and_the_reference()
    {
        int[][] prompts = [[5, 17, 200, 33], [40, 2, 311, 7]];
        const int steps = 6, dropSecondRowAfter = 3;
        int promptLength = prompts[0].Length;
        using var buffers = new StepOutputBuffers(hosts.Get(AcceleratorKind.Cpu), maxRows: 2, maxPositions: promptLength,
            Session.VocabSize, Session.Config.Hidden);
        var logitsStart = buffers.LogitsPointer;

        var live = new List<int> { 0, 1 };
        var generated = prompts.Select(_ => new List<int>()).ToArray();
        long[] ids = prompts.SelectMany(p => p.Select(t => (long)t)).ToArray();
        var unboundCache = KvCache.Empty(Session.Signature, live.Count);
        var boundCache = KvCache.Empty(Session.Signature, live.Count);
        try
        {
            for (int step = 0; step < steps; step++)
            {
                int width = step == 0 ? promptLength : 1, past = unboundCache.Length;
                var mask = Enumerable.Repeat(1L, live.Count * (past + width)).ToArray();
                var positionIds = Enumerable.Range(0, live.Count).SelectMany(_ => Enumerable.Range(past, width).Select(i => (long)i)).ToArray();
                using var unbound = Session.Run(ids, mask, positionIds, width, unboundCache, withHiddenStates: false);
                using var bound = Session.Run(ids, mask, positionIds, width, boundCache, withHiddenStates: false,
                    buffers.Targets(live.Count, width));
                Replace(ref unboundCache, unbound.Present!);
                Replace(ref boundCache, bound.Present!);

                Assert.Equal(logitsStart, Pointers.Of(bound.AllLogits));
                Assert.Equal(unbound.AllLogits.ToArray(), buffers.Logits(live.Count, width).Read());
                var next = new long[live.Count];
                for (int r = 0; r < live.Count; r++)
                {
                    int token = ArgMax(bound.Logits(r, width - 1));
                    Assert.Equal(ArgMax(unbound.Logits(r, width - 1)), token);
                    generated[live[r]].Add(token);
                    next[r] = token;
                }
                ids = next;

                if (step == dropSecondRowAfter)
                {
                    live.RemoveAt(1);
                    ids = ids[..1];
                    Replace(ref unboundCache, unboundCache.SelectRows([0]));
                    Replace(ref boundCache, boundCache.SelectRows([0]));
                }
            }
        }
        finally
        {
            unboundCache.Dispose();
            boundCache.Dispose();
        }

        Assert.Equal(ReferenceForward.Greedy(model.Weights, prompts[0], steps), generated[0]);
        Assert.Equal(ReferenceForward.Greedy(model.Weights, prompts[1], dropSecondRowAfter + 1), generated[1]);
    }

    [Fact]
    public void Targets_shaped_for_another_step_are_refused_before_running()
    {
        using var buffers = new StepOutputBuffers(hosts.Get(AcceleratorKind.Cpu), 2, 2, Session.VocabSize, Session.Config.Hidden);
        using var empty = KvCache.Empty(Session.Signature, 1);
        var e = Assert.Throws<ArgumentException>(() =>
            Session.Run([5, 6], [1, 1], [0, 1], 2, empty, withHiddenStates: true, buffers.Targets(2, 2)));
        Assert.Contains($"the logits target is Float [2,2,{Session.VocabSize}], the step needs Float [1,2,{Session.VocabSize}]", e.Message);
    }

    private static void Replace(ref KvCache cache, KvCache next)
    {
        cache.Dispose();
        cache = next;
    }

    private static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int i = 1; i < row.Length; i++)
            if (row[i] > row[best]) best = i;
        return best;
    }
}
