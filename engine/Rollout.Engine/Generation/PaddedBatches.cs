using Rollout.Engine.Model;

namespace Rollout.Engine.Generation;

/// <summary>
/// Static batches for Optimum-layout graphs, whose attention runs over one padded length for every row: a batch of
/// chunks is left-padded and prefilled once, each prompt's cache rows are fanned out to its samples, and all rows
/// decode one token per step until each ends; finished rows leave the cache so later steps only pay for live ones.
/// A row's floats depend on its batch-mates' padding, so batches are exactly those of the plan (see <see cref="BatchPlan"/>),
/// whatever was decoded before: a resumed run gets the same floats.
/// </summary>
internal sealed class PaddedBatches(DecoderSession session, ModelFolder model, TokenChooser chooser)
{
    /// <summary>Each batch's rows once all of them are finished, in chunk then sample order.</summary>
    public IEnumerable<List<SequenceState>> Decode(IReadOnlyList<GenerationRequest> requests, IEnumerable<List<SampleChunk>> batches,
        L2TRuntime? l2t, CancellationToken cancel)
    {
        foreach (var planned in batches)
        {
            // A cancelled request's chunks are not even prefilled.
            var batch = planned.Where(c => !requests[c.Request].Cancellation.IsCancellationRequested).ToList();
            if (batch.Count > 0) yield return DecodeBatch(requests, batch, l2t, cancel);
        }
    }

    private List<SequenceState> DecodeBatch(IReadOnlyList<GenerationRequest> requests, List<SampleChunk> batch, L2TRuntime? l2t,
        CancellationToken cancel)
    {
        var all = Prefill(requests, batch, l2t, out var cache);
        var rows = all;
        try
        {
            while (true)
            {
                cancel.ThrowIfCancellationRequested();
                foreach (var row in rows)
                    if (!row.Finished && requests[row.Request].Cancellation.IsCancellationRequested) row.Drop();
                var live = rows.Where(r => !r.Finished).ToList();
                if (live.Count == 0) break;
                if (live.Count < rows.Count)
                {
                    var kept = cache.SelectRows(rows.Select((r, i) => (r, i)).Where(x => !x.r.Finished).Select(x => x.i).ToArray());
                    cache.Dispose();
                    cache = kept;
                    rows = live;
                }
                cache = DecodeStep(rows, cache, l2t);
            }
        }
        catch
        {
            foreach (var row in all) row.Retained?.Dispose();
            throw;
        }
        finally { cache.Dispose(); }
        return all;
    }

    /// <summary>Runs each chunk's left-padded prompt once and samples every row's first token.</summary>
    private List<SequenceState> Prefill(IReadOnlyList<GenerationRequest> requests, List<SampleChunk> batch, L2TRuntime? l2t, out KvCache cache)
    {
        var prompts = batch.Select(c => requests[c.Request].Prompt).ToList();
        var (ids, mask, positions, width) = PromptInputs.Pad(prompts, model.PadTokenId, left: true);

        using var empty = KvCache.Empty(session.Signature, prompts.Count);
        // Only the last position is sampled from: no logits for the rest of the prompt.
        using var step = session.Run(ids, mask, positions, width, empty, withHiddenStates: l2t != null, outputPositions: [width - 1],
            logitsOnDevice: l2t?.Kernels.TakesDeviceOutputs(session) == true);
        var rows = ChunkRows.Create(requests, batch, l2t, model.Tokenizer, model.EosTokenIds, p => mask.AsSpan(p * width, width).ToArray(), out var prompt);
        chooser.Choose(rows, step, prompt.Select(p => (p, 0)).ToList(), l2t);
        cache = step.Present!.SelectRows(prompt.ToArray());
        step.Present.Dispose();
        RetainFinished(rows, cache);
        return rows;
    }

    /// <summary>Feeds every live row its last token; returns the grown cache (the old one is disposed).</summary>
    private KvCache DecodeStep(List<SequenceState> rows, KvCache cache, L2TRuntime? l2t)
    {
        int total = cache.Length + 1;
        var ids = new long[rows.Count];
        var mask = new long[rows.Count * total];
        var positions = new long[rows.Count];
        for (int r = 0; r < rows.Count; r++)
        {
            var row = rows[r];
            ids[r] = row.Tokens[^1];
            positions[r] = row.Cached;
            var rowMask = mask.AsSpan(r * total, total);
            row.PromptMask.CopyTo(rowMask);
            rowMask[row.PromptMask.Length..].Fill(1);
        }
        // With L2T, ONNX Runtime writes this step's logits and hidden states into the kernels' buffers (no copy).
        var targets = l2t is { Settings.ZeroCopy: true } && session.CanWriteIntoTargets ? l2t.Kernels.Targets(rows.Count) : null;
        using var step = session.Run(ids, mask, positions, 1, cache, withHiddenStates: l2t != null, targets,
            logitsOnDevice: l2t?.Kernels.TakesDeviceOutputs(session) == true);
        cache.Dispose();
        chooser.Choose(rows, step, rows.Select((_, r) => (r, 0)).ToList(), l2t, writtenInPlace: targets != null);
        RetainFinished(rows, step.Present!);
        return step.Present!;
    }

    /// <summary>Keeps the cache row of each rollout that just finished and will be probed: the probes continue from it.</summary>
    private static void RetainFinished(List<SequenceState> rows, KvCache cache)
    {
        for (int i = 0; i < rows.Count; i++)
            if (rows[i] is { Finished: true, Retained: null, Probe: not null })
                rows[i].Retained = cache.SelectRows([i]);
    }
}
