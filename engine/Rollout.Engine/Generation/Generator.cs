using Rollout.Engine.Features;
using Rollout.Engine.Model;
using Rollout.Engine.Prompts;
using Rollout.Engine.Sampling;
using Rollout.Engine.Tokenization;
using Rollout.Kernels.Sampling;

namespace Rollout.Engine.Generation;

/// <summary>
/// Batched, KV-cached sampling. A batch of prompts (chunks of requests' samples, see <see cref="BatchPlan"/>) is
/// left-padded and prefilled once; each prompt's cache rows are then fanned out to its samples, and all rows decode
/// one token per step until each ends (EOS, stop token or string, token budget, context window). Finished rows
/// leave the cache so later steps only pay for live sequences. With L2T on, every step also yields
/// the rows' step features, a finished row's cache is kept for its answer probes, the probes run
/// once the batch is done, and a request's group is scored once all its samples are.
/// </summary>
internal sealed class Generator
{
    private readonly DecoderSession _session;
    private readonly TextTokenizer _tokenizer;
    private readonly IReadOnlySet<int> _eosTokenIds;
    private readonly long _padTokenId;
    private readonly Sampler _sampler = new();
    private readonly RolloutFinisher _finisher;
    private readonly TeacherForcer _teacher;

    public Generator(ModelFolder model, DecoderSession session)
    {
        _session = session;
        _tokenizer = model.Tokenizer;
        _eosTokenIds = model.EosTokenIds;
        _padTokenId = model.PadTokenId;
        _finisher = new RolloutFinisher(session, model.Tokenizer, _padTokenId);
        _teacher = new TeacherForcer(session, model.Tokenizer, model.EosTokenIds, _finisher);
    }

    /// <summary>Scores given completions by teacher forcing (see <see cref="TeacherForcer"/>).</summary>
    public List<RolloutResult> Score(IReadOnlyList<GivenCompletion> completions, GenerationOptions options, L2TRuntime? l2t)
    {
        options.Validate();
        return _teacher.Score(completions, options, l2t);
    }

    public int ContextWindow => _session.Config.MaxPositions;

    public StageTimes Times => _finisher.Times;

    /// <summary>
    /// Rollouts in request order, each request's samples in sample order, batch by batch (see <see cref="BatchPlan"/>).
    /// <paramref name="onToken"/> is told of every sampled token. The first <paramref name="skip"/> rollouts are not
    /// yielded: they were written by an interrupted run. Decoding restarts at the batch that holds the first sample of
    /// their request, so what follows is exactly what an uninterrupted run yields.
    /// </summary>
    public IEnumerable<RolloutResult> Generate(IReadOnlyList<GenerationRequest> requests, L2TRuntime? l2t, Action<SampledToken>? onToken,
        int skip, CancellationToken cancel)
    {
        var shared = SharedOptions(requests);
        var firstRollout = new int[requests.Count + 1];
        for (int r = 0; r < requests.Count; r++) firstRollout[r + 1] = firstRollout[r] + requests[r].Options.SamplesPerPrompt;
        if (skip < 0 || skip > firstRollout[^1]) throw new ArgumentOutOfRangeException(nameof(skip), $"{skip} is not in [0, {firstRollout[^1]}]");

        var plan = BatchPlan.Pack(requests.Select(r => r.Options.SamplesPerPrompt).ToList(), shared.BatchSize);
        var pending = new List<FinishedRollout>?[requests.Count];
        foreach (var planned in plan.Skip(ResumeBatch(plan, firstRollout, skip)))
        {
            // A cancelled request's chunks are not even prefilled.
            var batch = planned.Where(c => !requests[c.Request].Cancellation.IsCancellationRequested).ToList();
            if (batch.Count == 0) continue;
            var rows = Decode(requests, batch, l2t, onToken, cancel);
            var finished = _finisher.Complete(rows, shared, l2t);
            if (l2t == null)
            {
                // Nothing is scored per group: each rollout goes out as soon as its batch is done, so memory does not grow with n.
                for (int i = 0; i < rows.Count; i++)
                    if (!requests[rows[i].Request].Cancellation.IsCancellationRequested && firstRollout[rows[i].Request] + rows[i].Sample >= skip)
                        yield return finished[i].Result;
                continue;
            }
            var done = new List<int>();
            for (int i = 0; i < rows.Count; i++)
            {
                var list = pending[rows[i].Request] ??= [];
                list.Add(finished[i]);
                if (list.Count == requests[rows[i].Request].Options.SamplesPerPrompt) done.Add(rows[i].Request);
            }
            var groups = done.Where(r => !requests[r].Cancellation.IsCancellationRequested).ToList();
            var results = _finisher.Score(groups.Select(r => (IReadOnlyList<FinishedRollout>)pending[r]!).ToList(), shared, l2t);
            foreach (var r in done) pending[r] = null;
            for (int g = 0; g < groups.Count; g++)
                for (int s = 0; s < results[g].Count; s++)
                    if (firstRollout[groups[g]] + s >= skip) yield return results[g][s];
        }
    }

    /// <summary>
    /// The first batch to decode when the first <paramref name="skip"/> rollouts exist: the one holding the first chunk of
    /// the request of rollout <paramref name="skip"/>, moved back while it starts inside an earlier request's group, so each
    /// batch is decoded, probed and scored with the same rows as in an uninterrupted run.
    /// </summary>
    private static int ResumeBatch(List<List<SampleChunk>> plan, int[] firstRollout, int skip)
    {
        if (skip == 0) return 0;
        int request = Array.FindLastIndex(firstRollout, firstRollout.Length - 2, firstRollout.Length - 1, start => start <= skip);
        int batch = plan.FindIndex(b => b.Any(c => c.Request == request));
        while (batch > 0 && plan[batch][0].FirstSample > 0) batch--;
        return batch;
    }

    /// <summary>The settings a batch shares, checked to agree across the requests (see <see cref="GenerationRequest"/>).</summary>
    private static GenerationOptions SharedOptions(IReadOnlyList<GenerationRequest> requests)
    {
        if (requests.Count == 0) return new GenerationOptions();
        var first = requests[0].Options;
        foreach (var request in requests)
        {
            var o = request.Options;
            o.Validate();
            if (o.BatchSize != first.BatchSize || o.Episodes != first.Episodes || o.L2T != first.L2T)
                throw new InputException($"request '{request.Prompt.Id}': the batch size, episodes and L2T settings must be the same for every request decoded together");
            if (first.L2T != null && (o.Sampling != first.Sampling || o.MaxNewTokens != first.MaxNewTokens))
                throw new InputException($"request '{request.Prompt.Id}': with L2T, the sampling settings and the token budget must be the same for every request decoded together");
        }
        return first;
    }

    /// <summary>Decodes one batch of chunks to the end; returns its rows in chunk order, each chunk's samples in order.</summary>
    private List<SequenceState> Decode(IReadOnlyList<GenerationRequest> requests, List<SampleChunk> batch, L2TRuntime? l2t,
        Action<SampledToken>? onToken, CancellationToken cancel)
    {
        var all = Prefill(requests, batch, l2t, out var cache, onToken);
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
                cache = DecodeStep(rows, cache, l2t, onToken);
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

    /// <summary>Runs each chunk's padded prompt once and samples every row's first token; returns the rows in chunk-then-sample order.</summary>
    private List<SequenceState> Prefill(IReadOnlyList<GenerationRequest> requests, List<SampleChunk> batch, L2TRuntime? l2t, out KvCache cache,
        Action<SampledToken>? onToken)
    {
        var prompts = batch.Select(c => requests[c.Request].Prompt).ToList();
        int width = prompts.Max(p => p.TokenIds.Length);
        var ids = new long[prompts.Count * width];
        var mask = new long[prompts.Count * width];
        var positions = new long[prompts.Count * width];
        for (int p = 0; p < prompts.Count; p++)
        {
            var tokens = prompts[p].TokenIds;
            int pad = width - tokens.Length;
            for (int j = 0; j < width; j++)
            {
                int at = p * width + j;
                bool real = j >= pad;
                ids[at] = real ? tokens[j - pad] : _padTokenId;
                mask[at] = real ? 1 : 0;
                positions[at] = real ? j - pad : 1; // HF fills masked positions with 1
            }
        }

        using var empty = KvCache.Empty(_session.Signature, prompts.Count);
        // Only the last position is sampled from: no logits for the rest of the prompt.
        using var step = _session.Run(ids, mask, positions, width, empty, withHiddenStates: l2t != null, outputPositions: [width - 1],
            logitsOnDevice: l2t?.Kernels.TakesDeviceOutputs(_session) == true);
        var rows = new List<SequenceState>(batch.Sum(c => c.Count));
        var sources = new List<(int Row, int Position)>(rows.Capacity);
        for (int p = 0; p < batch.Count; p++)
        {
            var (request, first, count) = batch[p];
            var probe = l2t != null && prompts[p].Answer is { } answer ? l2t.Tokenize(_tokenizer, answer) : null;
            for (int s = first; s < first + count; s++)
            {
                rows.Add(new SequenceState(prompts[p], s, mask.AsSpan(p * width, width).ToArray(), requests[request].Options, probe, request)
                    { History = TokenHistory.For(prompts[p].TokenIds, requests[request].Options, _eosTokenIds) });
                sources.Add((p, 0));
            }
        }
        ChooseAll(rows, step, sources, l2t, onToken);
        cache = step.Present.SelectRows(sources.Select(s => s.Row).ToArray());
        step.Present.Dispose();
        RetainFinished(rows, cache);
        return rows;
    }

    /// <summary>Feeds every live row its last token; returns the grown cache (the old one is disposed).</summary>
    private KvCache DecodeStep(List<SequenceState> rows, KvCache cache, L2TRuntime? l2t, Action<SampledToken>? onToken)
    {
        int total = cache.Length + 1;
        var ids = new long[rows.Count];
        var mask = new long[rows.Count * total];
        var positions = new long[rows.Count];
        for (int r = 0; r < rows.Count; r++)
        {
            var row = rows[r];
            ids[r] = row.Tokens[^1];
            positions[r] = row.Prompt.TokenIds.Length + row.Tokens.Count - 1;
            var rowMask = mask.AsSpan(r * total, total);
            row.PromptMask.CopyTo(rowMask);
            rowMask[row.PromptMask.Length..].Fill(1);
        }
        // With L2T, ONNX Runtime writes this step's logits and hidden states into the kernels' buffers (no copy).
        var targets = l2t is { Settings.ZeroCopy: true } && _session.CanWriteIntoTargets ? l2t.Kernels.Targets(rows.Count) : null;
        using var step = _session.Run(ids, mask, positions, 1, cache, withHiddenStates: l2t != null, targets,
            logitsOnDevice: l2t?.Kernels.TakesDeviceOutputs(_session) == true);
        cache.Dispose();
        ChooseAll(rows, step, rows.Select((_, r) => (r, 0)).ToList(), l2t, onToken, writtenInPlace: targets != null);
        RetainFinished(rows, step.Present);
        return step.Present;
    }

    /// <summary>Samples each row's next token from its source in the step.</summary>
    private void ChooseAll(List<SequenceState> rows, DecoderStep step, List<(int Row, int Position)> sources,
        L2TRuntime? l2t, Action<SampledToken>? onToken, bool writtenInPlace = false) =>
        // With L2T every row has the same sampling settings (see SharedOptions), so the first row's stand for all.
        StepChoices.Apply(rows, step, sources, l2t, rows[0].Options.Sampling,
            (i, logits) => Sample(rows[i], logits),
            features => SampleOnDevice(rows, features, rows[0].Options.Sampling),
            (row, choice) =>
            {
                row.Append(choice, _eosTokenIds, ContextWindow, _tokenizer);
                onToken?.Invoke(new SampledToken(row.Request, row.Sample, choice.TokenId, choice.Logprob, choice.TopLogprobs));
            },
            writtenInPlace);

    private TokenChoice Sample(SequenceState row, ReadOnlySpan<float> logits)
    {
        var penalties = row.History is { } history ? history.Entries : default;
        try { return _sampler.Sample(logits, row.Options.Sampling, row.Rng, penalties, row.Options.TopLogprobs); }
        catch (NonFiniteLogitsException e) { throw NonFiniteLogits(row, e.Message); }
    }

    /// <summary>Every row's token drawn on the kernels' device, each with the uniform its own random stream gives (as <see cref="Sample"/> would draw it).</summary>
    private static TokenChoice[] SampleOnDevice(List<SequenceState> rows, StepKernels features, SamplingParams sampling)
    {
        var uniforms = rows.Select(row => sampling.Greedy ? 0 : row.Rng.NextDouble()).ToArray();
        // Requests may ask for different numbers of top logprobs: the most any row asks for, cut to each row's.
        var choices = features.SampleOnDevice(sampling, uniforms, rows.Max(row => row.Options.TopLogprobs));
        for (int i = 0; i < choices.Length; i++)
        {
            if (choices[i].TokenId == TokenSampling.InvalidRow) throw NonFiniteLogits(rows[i], "a NaN or infinite logit, or all of them −∞");
            if (choices[i].TopLogprobs is { } top && top.Length > rows[i].Options.TopLogprobs)
                choices[i] = choices[i] with { TopLogprobs = rows[i].Options.TopLogprobs == 0 ? null : top[..rows[i].Options.TopLogprobs] };
        }
        return choices;
    }

    private static InputException NonFiniteLogits(SequenceState row, string detail) =>
        new($"the model produced non-finite logits for prompt '{row.Prompt.Id}' sample {row.Sample} at completion token {row.Tokens.Count} ({detail})");

    /// <summary>Keeps the cache row of each rollout that just finished and will be probed: the probes continue from it.</summary>
    internal static void RetainFinished(List<SequenceState> rows, KvCache cache)
    {
        for (int i = 0; i < rows.Count; i++)
            if (rows[i] is { Finished: true, Retained: null, Probe: not null })
                rows[i].Retained = cache.SelectRows([i]);
    }
}
