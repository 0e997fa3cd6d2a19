using Rollout.Engine.Features;
using Rollout.Engine.Model;
using Rollout.Engine.Prompts;
using Rollout.Engine.Sampling;
using Rollout.Engine.Tokenization;
using Rollout.Kernels.Sampling;

namespace Rollout.Engine.Generation;

/// <summary>
/// Batched, KV-cached sampling. A batch of prompts is left-padded and prefilled once; each
/// prompt's cache rows are then fanned out to its n samples, and all rows decode one token per
/// step until each ends (EOS, stop token or string, token budget, context window). Finished rows
/// leave the cache so later steps only pay for live sequences. With L2T on, every step also yields
/// the rows' step features, a finished row's cache is kept for its answer probes, and the probes run
/// once the batch is done.
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

    /// <summary>Rollouts in prompt order, each prompt's samples in sample order. <paramref name="onToken"/> is told of every generated token.</summary>
    public IEnumerable<RolloutResult> Generate(IReadOnlyList<EncodedPrompt> prompts, GenerationOptions options, L2TRuntime? l2t, Action? onToken)
    {
        options.Validate();
        int promptsPerBatch = Math.Max(1, options.BatchSize / options.SamplesPerPrompt);
        for (int start = 0; start < prompts.Count; start += promptsPerBatch)
        {
            var batch = prompts.Skip(start).Take(promptsPerBatch).ToList();
            foreach (var rollout in GenerateBatch(batch, options, l2t, onToken)) yield return rollout;
        }
    }

    private List<RolloutResult> GenerateBatch(List<EncodedPrompt> prompts, GenerationOptions options, L2TRuntime? l2t, Action? onToken)
    {
        var all = Prefill(prompts, options, l2t, out var cache, onToken);
        var rows = all;
        try
        {
            while (true)
            {
                var live = rows.Where(r => !r.Finished).ToList();
                if (live.Count == 0) break;
                if (live.Count < rows.Count)
                {
                    var kept = cache.SelectRows(rows.Select((r, i) => (r, i)).Where(x => !x.r.Finished).Select(x => x.i).ToArray());
                    cache.Dispose();
                    cache = kept;
                    rows = live;
                }
                cache = DecodeStep(rows, cache, options, l2t, onToken);
            }
        }
        finally { cache.Dispose(); }

        return _finisher.Finish(all, options, l2t);
    }

    /// <summary>Runs the padded prompts once and samples every row's first token; returns the rows in prompt-then-sample order.</summary>
    private List<SequenceState> Prefill(List<EncodedPrompt> prompts, GenerationOptions options, L2TRuntime? l2t, out KvCache cache, Action? onToken)
    {
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
        var probes = prompts.Select(p => l2t != null && p.Answer is { } answer ? l2t.Tokenize(_tokenizer, answer) : null).ToArray();
        var rows = new List<SequenceState>(prompts.Count * options.SamplesPerPrompt);
        var sources = new List<(int Row, int Position)>(rows.Capacity);
        for (int p = 0; p < prompts.Count; p++)
            for (int s = 0; s < options.SamplesPerPrompt; s++)
            {
                rows.Add(new SequenceState(prompts[p], s, mask.AsSpan(p * width, width).ToArray(), options, probes[p])
                    { History = TokenHistory.For(prompts[p].TokenIds, options, _eosTokenIds) });
                sources.Add((p, 0));
            }
        ChooseAll(rows, step, sources, options, l2t, onToken);
        cache = step.Present.SelectRows(sources.Select(s => s.Row).ToArray());
        step.Present.Dispose();
        RetainFinished(rows, cache);
        return rows;
    }

    /// <summary>Feeds every live row its last token; returns the grown cache (the old one is disposed).</summary>
    private KvCache DecodeStep(List<SequenceState> rows, KvCache cache, GenerationOptions options, L2TRuntime? l2t, Action? onToken)
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
        ChooseAll(rows, step, rows.Select((_, r) => (r, 0)).ToList(), options, l2t, onToken, writtenInPlace: targets != null);
        RetainFinished(rows, step.Present);
        return step.Present;
    }

    /// <summary>Samples each row's next token from its source in the step.</summary>
    private void ChooseAll(List<SequenceState> rows, DecoderStep step, List<(int Row, int Position)> sources, GenerationOptions options,
        L2TRuntime? l2t, Action? onToken, bool writtenInPlace = false) =>
        StepChoices.Apply(rows, step, sources, l2t, options.Sampling,
            (i, logits) => Sample(rows[i], logits, options),
            features => SampleOnDevice(rows, features, options),
            (row, choice) =>
            {
                row.Append(choice, _eosTokenIds, ContextWindow, _tokenizer);
                onToken?.Invoke();
            },
            writtenInPlace);

    private TokenChoice Sample(SequenceState row, ReadOnlySpan<float> logits, GenerationOptions options)
    {
        var penalties = row.History is { } history ? history.Entries : default;
        try { return _sampler.Sample(logits, options.Sampling, row.Rng, penalties, options.TopLogprobs); }
        catch (NonFiniteLogitsException e) { throw NonFiniteLogits(row, e.Message); }
    }

    /// <summary>Every row's token drawn on the kernels' device, each with the uniform its own random stream gives (as <see cref="Sample"/> would draw it).</summary>
    private static TokenChoice[] SampleOnDevice(List<SequenceState> rows, StepKernels features, GenerationOptions options)
    {
        var uniforms = rows.Select(row => options.Sampling.Greedy ? 0 : row.Rng.NextDouble()).ToArray();
        var choices = features.SampleOnDevice(options.Sampling, uniforms, options.TopLogprobs);
        for (int i = 0; i < choices.Length; i++)
            if (choices[i].TokenId == TokenSampling.InvalidRow) throw NonFiniteLogits(rows[i], "a NaN or infinite logit, or all of them −∞");
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
