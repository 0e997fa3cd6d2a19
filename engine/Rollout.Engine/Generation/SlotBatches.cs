using Rollout.Engine.Model;
using Rollout.Engine.Probes;

namespace Rollout.Engine.Generation;

/// <summary>
/// Continuous batching for fused graphs (<see cref="DecoderSignature.SharesKvBuffer"/>): one KV buffer of slots per
/// lane, written in place, each row at its own length. Up to <c>batch size</c> rows decode together, split evenly over
/// the lanes; a row that ends hands its slot to the next waiting chunk at once (its prompt prefilled on its own, its
/// samples' rows copied into free slots), so no step waits for a batch's longest row. Each step runs every lane's
/// forward pass at once, one thread each (several small runs keep a few cores busier than one run split over them),
/// then chooses their tokens on this thread. A fused graph's attention reads each row's own positions only, so a
/// row's floats do not depend on its batch-mates or its lane: the rollouts are those of static batches, in whatever
/// order and lane the rows run. With L2T, a finished rollout stays in its slot while its answer probes run there, a
/// probe token per step beside the sampling rows (<see cref="RowProbes"/>), and leaves with its J values.
/// </summary>
internal sealed class SlotBatches(DecoderSession session, ModelFolder model, TokenChooser chooser, int lanes)
{
    /// <summary>One lane's slots and the rows in them (row i in slot i), with its own step kernels when L2T is on.</summary>
    private sealed class Lane(KvCache slots, L2TRuntime? l2t) : IDisposable
    {
        public KvCache Slots { get; } = slots;
        public L2TRuntime? L2T { get; } = l2t;
        public List<SequenceState> Running { get; } = new(slots.Rows);
        /// <summary>The finished rows of <see cref="Running"/> whose probes are running.</summary>
        public Dictionary<SequenceState, RowProbes> Probing { get; } = new(ReferenceEqualityComparer.Instance);

        /// <summary>Positions of a row's slot that its next steps read: its cache, or further while a probe runs past it.</summary>
        public int Held(SequenceState row) => Probing.TryGetValue(row, out var probes) ? Math.Max(row.Cached, probes.Held) : row.Cached;

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
        int capacity = Capacity(requests, queue, l2t);
        var all = new List<Lane>(laneCount);
        var finished = new List<SequenceState>();
        // J of the contexts probed so far, per request (its samples' contexts often coincide), until its last row is done.
        var known = new Dictionary<int, Dictionary<ProbeContext, double?>>();
        // Rows whose own probes have run, waiting for J of contexts their prompt's other rows are running.
        var waiting = new List<(SequenceState Row, RowProbes Probes)>();
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
                        if (!row.Dropped && requests[row.Request].Cancellation.IsCancellationRequested)
                        {
                            row.Drop();
                            lane.Probing.Remove(row);
                        }
                    Leave(lane, finished, waiting, known);
                    Join(requests, queue, lane);
                    Leave(lane, finished, waiting, known);
                }
                for (int i = waiting.Count - 1; i >= 0; i--)
                {
                    var (row, probes) = waiting[i];
                    // A cancelled request's rows wait for nothing: the contexts they wait for may never be finished.
                    if (requests[row.Request].Cancellation.IsCancellationRequested) row.Drop();
                    else if (probes.Ready) row.ProbeValues = probes.Values();
                    else continue;
                    finished.Add(row);
                    waiting.RemoveAt(i);
                }
                foreach (var request in finished.Select(r => r.Request).Distinct())
                    if (!all.Any(l => l.Running.Any(r => r.Request == request)) && !waiting.Any(w => w.Row.Request == request)
                        && !(queue.TryPeek(out var next) && next.Request <= request))
                        known.Remove(request);
                if (finished.Count > 0)
                {
                    yield return finished;
                    finished = [];
                }
                var live = all.Where(l => l.Running.Count > 0).ToList();
                if (live.Count == 0)
                {
                    if (queue.Count == 0 && waiting.Count == 0) break;
                    continue;
                }
                Step(live);
            }
        }
        finally
        {
            foreach (var lane in all)
            {
                lane.Dispose();
                if (lane.L2T != l2t) lane.L2T?.Dispose();
            }
        }
    }

    /// <summary>Room per slot: the longest prompt plus its token budget and answer probe, within the context window.</summary>
    private int Capacity(IReadOnlyList<GenerationRequest> requests, IEnumerable<SampleChunk> chunks, L2TRuntime? l2t) =>
        chunks.Select(c => requests[c.Request]).Distinct().Max(r => Math.Min(session.Config.MaxPositions, r.Prompt.TokenIds.Length + r.Options.MaxNewTokens
            + (l2t != null && r.Prompt.Answer is { } answer ? l2t.Tokenize(model.Tokenizer, answer).Length : 0)));

    /// <summary>
    /// Moves finished rows out once their own probes have run (a row that just finished starts them), to the finished rows
    /// with their J values, or to wait for those their prompt's other rows are running: the last running row takes a
    /// leaving row's slot (the positions it holds copied), so running rows fill the first slots.
    /// </summary>
    private void Leave(Lane lane, List<SequenceState> finished, List<(SequenceState, RowProbes)> waiting,
        Dictionary<int, Dictionary<ProbeContext, double?>> known)
    {
        var running = lane.Running;
        for (int i = running.Count - 1; i >= 0; i--)
        {
            var row = running[i];
            if (!row.Finished) continue;
            var probes = Probes(lane, row, known);
            if (probes is { Done: false }) continue;
            lane.Probing.Remove(row);
            if (probes is { Ready: false }) waiting.Add((row, probes));
            else
            {
                row.ProbeValues = probes?.Values();
                finished.Add(row);
            }
            int last = running.Count - 1;
            if (i != last) lane.Slots.CopyRow(i, lane.Slots, last, lane.Held(running[last]));
            running[i] = running[last];
            running.RemoveAt(last);
        }
    }

    /// <summary>A finished row's probes: those running, or new ones for a rollout that just finished and has an answer to probe (null if none).</summary>
    private RowProbes? Probes(Lane lane, SequenceState row, Dictionary<int, Dictionary<ProbeContext, double?>> known)
    {
        if (lane.Probing.TryGetValue(row, out var running)) return running;
        if (lane.L2T == null || row.Probe == null || row.Dropped || row.ProbeValues != null) return null;
        var context = known.TryGetValue(row.Request, out var k) ? k : known[row.Request] = new Dictionary<ProbeContext, double?>();
        var probes = new RowProbes(row.ProbeJob(model.Tokenizer, row.Options.Episodes), row.Options.Sampling.PolicyTemperature, context);
        lane.Probing[row] = probes;
        return probes;
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
        }
    }

    /// <summary>
    /// Feeds every running row its last token (or a probing row its probe's next token), at its own length (the keys go
    /// into the slots in place): the lanes' forward passes at once, then their tokens chosen and probes read lane by lane.
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
                var (lane, step) = (live[i], steps[i]!);
                var sampling = Enumerable.Range(0, lane.Running.Count).Where(r => !lane.Probing.ContainsKey(lane.Running[r])).ToList();
                if (sampling.Count > 0)
                    chooser.Choose(sampling.Select(r => lane.Running[r]).ToList(), step, sampling.Select(r => (r, 0)).ToList(), lane.L2T, writtenInPlace: written[i]);
                ReadProbes(lane, step);
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
        var ids = new long[running.Count];
        var positions = new long[running.Count];
        for (int r = 0; r < running.Count; r++)
            (ids[r], positions[r]) = lane.Probing.TryGetValue(running[r], out var probes) ? probes.Next : (running[r].Tokens[^1], running[r].Cached);
        int width = (int)positions.Max() + 1;
        var mask = new long[running.Count * width];
        for (int r = 0; r < running.Count; r++) mask.AsSpan(r * width, (int)positions[r] + 1).Fill(1);
        // With L2T, ONNX Runtime writes this step's logits and hidden states into the kernels' buffers (no copy), where
        // row i is the kernels' entry i: only when every row samples.
        var targets = l2t is { Settings.ZeroCopy: true } && session.CanWriteIntoTargets && lane.Probing.Count == 0 ? l2t.Kernels.Targets(running.Count) : null;
        using var past = lane.Slots.Prefix(running.Count, width - 1);
        var step = session.Run(ids, mask, positions, 1, past, withHiddenStates: l2t != null, targets,
            logitsOnDevice: l2t?.Kernels.TakesDeviceOutputs(session) == true);
        return (step, targets != null);
    }

    /// <summary>Takes each probing row's answer-token log-probability where its fed token gives one (after the lane's tokens are chosen: a head core's shift reuses the kernels' buffers).</summary>
    private static void ReadProbes(Lane lane, DecoderStep step)
    {
        if (lane.Probing.Count == 0) return;
        var rows = Enumerable.Range(0, lane.Running.Count).Where(r => lane.Probing.ContainsKey(lane.Running[r])).ToList();
        var reading = rows.Where(r => lane.Probing[lane.Running[r]].ReadsLogits).ToList();
        var kernels = lane.L2T!.Kernels;
        if (kernels.HasCore && reading.Count > 0) kernels.Prepare(step, reading.Select(r => (r, 0)).ToList(), writtenInPlace: false);
        foreach (int r in rows)
        {
            int k = reading.IndexOf(r);
            lane.Probing[lane.Running[r]].Fed(k < 0 ? default : kernels.HasCore ? kernels.ShiftedLogits(k) : step.Logits(r, 0));
        }
    }
}
