using Rollout.Engine.Model;

namespace Rollout.Engine.Generation;

/// <summary>
/// Continuous batching for fused graphs (<see cref="DecoderSignature.SharesKvBuffer"/>): one KV buffer of
/// <c>batch size</c> slots, written in place, each row at its own length. Up to that many rows decode together; a
/// row that ends hands its slot to the next waiting chunk at once (its prompt prefilled on its own, its samples'
/// rows copied into free slots), so no step waits for a batch's longest row. A fused graph's attention reads each
/// row's own positions only, so a row's floats do not depend on its batch-mates: the rollouts are those of static
/// batches, in whatever order the rows run.
/// </summary>
internal sealed class SlotBatches(DecoderSession session, ModelFolder model, TokenChooser chooser)
{
    /// <summary>Rows as they finish (each list: the rows that ended at one step), every chunk's samples, chunks taken in order.</summary>
    public IEnumerable<List<SequenceState>> Decode(IReadOnlyList<GenerationRequest> requests, IEnumerable<List<SampleChunk>> batches,
        int batchSize, L2TRuntime? l2t, CancellationToken cancel)
    {
        var queue = new Queue<SampleChunk>(batches.SelectMany(b => b));
        if (queue.Count == 0) yield break;
        using var slots = KvCache.Buffer(session.Signature, session.KvMemory, batchSize, Capacity(requests, queue));
        var running = new List<SequenceState>(batchSize);
        var finished = new List<SequenceState>();
        try
        {
            while (true)
            {
                cancel.ThrowIfCancellationRequested();
                foreach (var row in running)
                    if (!row.Finished && requests[row.Request].Cancellation.IsCancellationRequested) row.Drop();
                Leave(running, slots, finished);
                Join(requests, queue, running, slots, batchSize, l2t);
                Leave(running, slots, finished);
                if (finished.Count > 0)
                {
                    yield return finished;
                    finished = [];
                }
                if (running.Count == 0)
                {
                    if (queue.Count == 0) break;
                    continue;
                }
                Step(running, slots, l2t);
            }
        }
        finally
        {
            // Rows not handed out (an error, or the caller stopped reading) give back their kept caches.
            foreach (var row in running.Concat(finished)) row.Retained?.Dispose();
        }
    }

    /// <summary>Room per slot: the longest prompt plus its token budget, within the context window.</summary>
    private int Capacity(IReadOnlyList<GenerationRequest> requests, IEnumerable<SampleChunk> chunks) =>
        chunks.Select(c => requests[c.Request]).Max(r => Math.Min(session.Config.MaxPositions, r.Prompt.TokenIds.Length + r.Options.MaxNewTokens));

    /// <summary>Moves finished rows out: the last running row takes a finished row's slot (its cached positions copied), so running rows fill the first slots.</summary>
    private static void Leave(List<SequenceState> running, KvCache slots, List<SequenceState> finished)
    {
        for (int i = running.Count - 1; i >= 0; i--)
        {
            if (!running[i].Finished) continue;
            finished.Add(running[i]);
            int last = running.Count - 1;
            if (i != last) slots.CopyRow(i, slots, last, running[last].Cached);
            running[i] = running[last];
            running.RemoveAt(last);
        }
    }

    /// <summary>Prefills the next waiting chunks that fit in the free slots (a cancelled request's are dropped unrun), and puts their rows there.</summary>
    private void Join(IReadOnlyList<GenerationRequest> requests, Queue<SampleChunk> queue, List<SequenceState> running, KvCache slots,
        int batchSize, L2TRuntime? l2t)
    {
        var admitted = new List<SampleChunk>();
        int free = batchSize - running.Count;
        while (queue.TryPeek(out var next) && (requests[next.Request].Cancellation.IsCancellationRequested || next.Count <= free))
        {
            queue.Dequeue();
            if (requests[next.Request].Cancellation.IsCancellationRequested) continue;
            admitted.Add(next);
            free -= next.Count;
        }
        if (admitted.Count == 0) return;

        var prompts = admitted.Select(c => requests[c.Request].Prompt).ToList();
        var (ids, mask, positions, width) = PromptInputs.Pad(prompts, model.PadTokenId, left: false);
        // Each prompt is sampled from at its own last position.
        var last = prompts.Select(p => (long)p.TokenIds.Length - 1).Distinct().Order().ToArray();
        using var prefill = KvCache.Buffer(session.Signature, session.KvMemory, prompts.Count, width);
        using var step = session.Run(ids, mask, positions, width, prefill, withHiddenStates: l2t != null, outputPositions: last,
            logitsOnDevice: l2t?.Kernels.TakesDeviceOutputs(session) == true);
        var rows = ChunkRows.Create(requests, admitted, l2t, model.Tokenizer, model.EosTokenIds,
            p => Enumerable.Repeat(1L, prompts[p].TokenIds.Length).ToArray(), out var prompt);
        chooser.Choose(rows, step, prompt.Select(p => (p, Array.BinarySearch(last, (long)prompts[p].TokenIds.Length - 1))).ToList(), l2t);
        for (int r = 0; r < rows.Count; r++)
        {
            slots.CopyRow(running.Count, prefill, prompt[r], prompts[prompt[r]].TokenIds.Length);
            running.Add(rows[r]);
            Retain(rows[r], prefill, prompt[r]);
        }
    }

    /// <summary>Feeds every running row its last token, at its own length; the keys go into the slots in place.</summary>
    private void Step(List<SequenceState> running, KvCache slots, L2TRuntime? l2t)
    {
        int width = running.Max(r => r.Cached) + 1;
        var ids = new long[running.Count];
        var mask = new long[running.Count * width];
        var positions = new long[running.Count];
        for (int r = 0; r < running.Count; r++)
        {
            ids[r] = running[r].Tokens[^1];
            positions[r] = running[r].Cached;
            mask.AsSpan(r * width, running[r].Cached + 1).Fill(1);
        }
        // With L2T, ONNX Runtime writes this step's logits and hidden states into the kernels' buffers (no copy).
        var targets = l2t is { Settings.ZeroCopy: true } && session.CanWriteIntoTargets ? l2t.Kernels.Targets(running.Count) : null;
        using (var live = slots.Prefix(running.Count, width - 1))
        using (var step = session.Run(ids, mask, positions, 1, live, withHiddenStates: l2t != null, targets,
            logitsOnDevice: l2t?.Kernels.TakesDeviceOutputs(session) == true))
            chooser.Choose(running, step, running.Select((_, r) => (r, 0)).ToList(), l2t, writtenInPlace: targets != null);
        for (int r = 0; r < running.Count; r++) Retain(running[r], slots, r);
    }

    /// <summary>Keeps a copy of a row that just finished and will be probed (its cached positions only): the probes continue from it.</summary>
    private static void Retain(SequenceState row, KvCache cache, int cacheRow)
    {
        if (row is { Finished: true, Retained: null, Probe: not null })
            row.Retained = KvCache.Gather([(cache, cacheRow, row.Cached)], row.Cached);
    }
}
