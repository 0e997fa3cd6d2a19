using Rollout.Engine.Model;
using Rollout.Engine.Prompts;
using Rollout.Engine.Sampling;
using Rollout.Engine.Tokenization;

namespace Rollout.Engine.Generation;

/// <summary>
/// Batched, KV-cached sampling. A batch of prompts is left-padded and prefilled once; each
/// prompt's cache rows are then fanned out to its n samples, and all rows decode one token per
/// step until each ends (EOS, stop token or string, token budget, context window). Finished rows
/// leave the cache so later steps only pay for live sequences.
/// </summary>
public sealed class Generator
{
    private readonly DecoderSession _session;
    private readonly TextTokenizer _tokenizer;
    private readonly IReadOnlySet<int> _eosTokenIds;
    private readonly long _padTokenId;
    private readonly Sampler _sampler = new();

    public Generator(ModelFolder model, DecoderSession session)
    {
        _session = session;
        _tokenizer = model.Tokenizer;
        _eosTokenIds = model.EosTokenIds;
        // Padded positions are masked out, so any valid id will do; HF uses pad, else eos.
        _padTokenId = model.Tokenizer.PadTokenId ?? model.EosTokenIds.DefaultIfEmpty(0).Min();
    }

    public int ContextWindow => _session.Config.MaxPositions;

    /// <summary>Rollouts in prompt order, each prompt's samples in sample order. <paramref name="onToken"/> is told of every generated token.</summary>
    public IEnumerable<RolloutResult> Generate(IReadOnlyList<EncodedPrompt> prompts, GenerationOptions options, Action? onToken = null)
    {
        options.Validate();
        int promptsPerBatch = Math.Max(1, options.BatchSize / options.SamplesPerPrompt);
        for (int start = 0; start < prompts.Count; start += promptsPerBatch)
        {
            var batch = prompts.Skip(start).Take(promptsPerBatch).ToList();
            foreach (var rollout in GenerateBatch(batch, options, onToken)) yield return rollout;
        }
    }

    private List<RolloutResult> GenerateBatch(List<EncodedPrompt> prompts, GenerationOptions options, Action? onToken)
    {
        var all = Prefill(prompts, options, out var cache, onToken);
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
                cache = DecodeStep(rows, cache, options, onToken);
            }
        }
        finally { cache.Dispose(); }
        return all.Select(r => r.ToResult(_tokenizer, options.Episodes)).ToList();
    }

    /// <summary>Runs the padded prompts once and samples every row's first token; returns the rows in prompt-then-sample order.</summary>
    private List<SequenceState> Prefill(List<EncodedPrompt> prompts, GenerationOptions options, out KvCache cache, Action? onToken)
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
        using var step = _session.Run(ids, mask, positions, width, empty, withHiddenStates: false);
        var rows = new List<SequenceState>(prompts.Count * options.SamplesPerPrompt);
        var fanOut = new int[prompts.Count * options.SamplesPerPrompt];
        for (int p = 0; p < prompts.Count; p++)
            for (int s = 0; s < options.SamplesPerPrompt; s++)
            {
                var row = new SequenceState(prompts[p], s, mask.AsSpan(p * width, width).ToArray(), options);
                fanOut[rows.Count] = p;
                rows.Add(row);
                Choose(row, step.Logits(p, width - 1), options, onToken);
            }
        cache = step.Present.SelectRows(fanOut);
        step.Present.Dispose();
        return rows;
    }

    /// <summary>Feeds every live row its last token; returns the grown cache (the old one is disposed).</summary>
    private KvCache DecodeStep(List<SequenceState> rows, KvCache cache, GenerationOptions options, Action? onToken)
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
        using var step = _session.Run(ids, mask, positions, 1, cache, withHiddenStates: false);
        cache.Dispose();
        for (int r = 0; r < rows.Count; r++) Choose(rows[r], step.Logits(r, 0), options, onToken);
        return step.Present;
    }

    private void Choose(SequenceState row, ReadOnlySpan<float> logits, GenerationOptions options, Action? onToken)
    {
        TokenChoice choice;
        try { choice = _sampler.Sample(logits, options.Sampling, row.Rng); }
        catch (NonFiniteLogitsException e)
        {
            throw new InputException($"the model produced non-finite logits for prompt '{row.Prompt.Id}' sample {row.Sample} at completion token {row.Tokens.Count} ({e.Message})");
        }
        row.Append(choice, _eosTokenIds, ContextWindow, _tokenizer);
        onToken?.Invoke();
    }
}
