using Rollout.Engine.Model;

namespace Rollout.Engine.Generation;

/// <summary>
/// Continuous batching for fused graphs (<see cref="DecoderSignature.SharesKvBuffer"/>): one KV buffer of slots per
/// lane, written in place, each row at its own length. Up to <c>batch size</c> rows decode together, split evenly over
/// the lanes; a row that ends hands its slot to the next waiting chunk at once (its prompt prefilled on its own, its
/// samples' rows copied into free slots), so no step waits for a batch's longest row. Each step runs every lane's
/// forward pass at once, one thread each (several small runs keep a few cores busier than one run split over them),
/// then chooses their tokens on this thread. A fused graph's attention reads each row's own positions only, so a
/// row's floats do not depend on its batch-mates or its lane: the rollouts are those of static batches, in whatever
/// order and lane the rows run.
/// </summary>
internal sealed class SlotBatches(DecoderSession session, ModelFolder model, TokenChooser chooser, int lanes)
{
    /// <summary>One lane's slots and the rows in them (row i in slot i), with its own step kernels when L2T is on.</summary>
    private sealed class Lane(KvCache slots, L2TRuntime? l2t) : IDisposable
    {
        public KvCache Slots { get; } = slots;
        public L2TRuntime? L2T { get; } = l2t;
        public List<SequenceState> Running { get; } = new(slots.Rows);

        public void Dispose() => Slots.Dispose();
    }

    /// <summary>Rows as they finish (each list: the rows that ended at one step), every chunk's samples, chunks taken in order.</summary>
    public IEnumerable<List<SequenceState>> Decode(IReadOnlyList<GenerationRequest> requests, IEnumerable<List<SampleChunk>> batches,
        int batchSize, L2TRuntime? l2t, CancellationToken cancel)
    {
        int laneCount = Math.Min(lanes, batchSize), slotsPerLane = (batchSize + laneCount - 1) / laneCount;
        // A chunk fans out from one prefill into one lane, so none may have more samples than a lane has slots.
        var queue = new Queue<SampleChunk>(batches.SelectMany(b => b).SelectMany(c => c.Split(slotsPerLane)));
        if (queue.Count == 0) yield break;
        int capacity = Capacity(requests, queue);
        var all = new List<Lane>(laneCount);
        var finished = new List<SequenceState>();
        try
        {
            // The first lane uses the generation's kernels; each other one needs buffers of its own, as its steps run at the same time.
            for (int i = 0; i < laneCount; i++)
                all.Add(new Lane(KvCache.Buffer(session.Signature, session.KvMemory, slotsPerLane, capacity), i == 0 ? l2t : l2t?.WithOwnKernels()));
            while (true)
            {
                cancel.ThrowIfCancellationRequested();
                foreach (var lane in all)
                {
                    foreach (var row in lane.Running)
                        if (!row.Finished && requests[row.Request].Cancellation.IsCancellationRequested) row.Drop();
                    Leave(lane, finished);
                    Join(requests, queue, lane);
                    Leave(lane, finished);
                }
                if (finished.Count > 0)
                {
                    yield return finished;
                    finished = [];
                }
                var live = all.Where(l => l.Running.Count > 0).ToList();
                if (live.Count == 0)
                {
                    if (queue.Count == 0) break;
                    continue;
                }
                Step(live);
            }
        }
        finally
        {
            // Rows not handed out (an error, or the caller stopped reading) give back their kept caches.
            foreach (var row in all.SelectMany(l => l.Running).Concat(finished)) row.Retained?.Dispose();
            foreach (var lane in all)
            {
                lane.Dispose();
                if (lane.L2T != l2t) lane.L2T?.Dispose();
            }
        }
    }

    /// <summary>Room per slot: the longest prompt plus its token budget, within the context window.</summary>
    private int Capacity(IReadOnlyList<GenerationRequest> requests, IEnumerable<SampleChunk> chunks) =>
        chunks.Select(c => requests[c.Request]).Max(r => Math.Min(session.Config.MaxPositions, r.Prompt.TokenIds.Length + r.Options.MaxNewTokens));

    /// <summary>Moves finished rows out: the last running row takes a finished row's slot (its cached positions copied), so running rows fill the first slots.</summary>
    private static void Leave(Lane lane, List<SequenceState> finished)
    {
        var running = lane.Running;
        for (int i = running.Count - 1; i >= 0; i--)
        {
            if (!running[i].Finished) continue;
            finished.Add(running[i]);
            int last = running.Count - 1;
            if (i != last) lane.Slots.CopyRow(i, lane.Slots, last, running[last].Cached);
            running[i] = running[last];
            running.RemoveAt(last);
        }
    }

    /// <summary>Prefills the next waiting chunks that fit in the lane's free slots (a cancelled request's are dropped unrun), and puts their rows there.</summary>
    private void Join(IReadOnlyList<GenerationRequest> requests, Queue<SampleChunk> queue, Lane lane)
    {
        var admitted = new List<SampleChunk>();
        int free = lane.Slots.Rows - lane.Running.Count;
        while (queue.TryPeek(out var next) && (requests[next.Request].Cancellation.IsCancellationRequested || next.Count <= free))
        {
            queue.Dequeue();
            if (requests[next.Request].Cancellation.IsCancellationRequested) continue;
            admitted.Add(next);
            free -= next.Count;
        }
        if (admitted.Count == 0) return;

        var l2t = lane.L2T;
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
            lane.Slots.CopyRow(lane.Running.Count, prefill, prompt[r], prompts[prompt[r]].TokenIds.Length);
            lane.Running.Add(rows[r]);
            Retain(rows[r], prefill, prompt[r]);
        }
    }

    /// <summary>
    /// Feeds every running row its last token, at its own length (the keys go into the slots in place): the lanes' forward
    /// passes at once, then their tokens chosen lane by lane.
    /// </summary>
    private void Step(List<Lane> live)
    {
        var steps = new DecoderStep?[live.Count];
        var written = new bool[live.Count];
        try
        {
            ParallelRows.For(live.Count, i => (steps[i], written[i]) = Run(live[i]));
            for (int i = 0; i < live.Count; i++)
            {
                var lane = live[i];
                chooser.Choose(lane.Running, steps[i]!, lane.Running.Select((_, r) => (r, 0)).ToList(), lane.L2T, writtenInPlace: written[i]);
                for (int r = 0; r < lane.Running.Count; r++) Retain(lane.Running[r], lane.Slots, r);
            }
        }
        finally
        {
            foreach (var step in steps) step?.Dispose();
        }
    }

    /// <summary>One lane's forward pass; whether it wrote its outputs into the lane's kernels' buffers.</summary>
    private (DecoderStep Step, bool WrittenInPlace) Run(Lane lane)
    {
        var (running, l2t) = (lane.Running, lane.L2T);
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
        using var past = lane.Slots.Prefix(running.Count, width - 1);
        var step = session.Run(ids, mask, positions, 1, past, withHiddenStates: l2t != null, targets,
            logitsOnDevice: l2t?.Kernels.TakesDeviceOutputs(session) == true);
        return (step, targets != null);
    }

    /// <summary>Keeps a copy of a row that just finished and will be probed (its cached positions only): the probes continue from it.</summary>
    private static void Retain(SequenceState row, KvCache cache, int cacheRow)
    {
        if (row is { Finished: true, Retained: null, Probe: not null })
            row.Retained = KvCache.Gather([(cache, cacheRow, row.Cached)], row.Cached);
    }
}
