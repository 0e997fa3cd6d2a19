using System.Runtime.InteropServices;
using Rollout.Engine.Generation;
using Rollout.Kernels.Sampling;

namespace Rollout.Engine.Sampling;

/// <summary>
/// One rollout's history as its sampler sees it: the compact list (<see cref="TokenPenalty"/>, one entry per token)
/// that the host sampler and the device kernel (<see cref="TokenSampling.Penalize"/>) both apply before drawing. With a
/// penalty on, every token of the output so far with its count, and with a repetition penalty the prompt's tokens too;
/// while the rollout is shorter than <see cref="GenerationOptions.MinNewTokens"/>, EOS (unless ignored) and the stop
/// ids, suppressed. Entries are updated in place as tokens are appended, so a step costs one lookup, not a recount.
/// </summary>
internal sealed class TokenHistory
{
    private readonly List<TokenPenalty> _entries = [];
    private readonly Dictionary<int, int> _index = [];
    private readonly bool _counts;
    private readonly int _minNewTokens;
    private int _length;

    private TokenHistory(bool counts, int minNewTokens)
    {
        _counts = counts;
        _minNewTokens = minNewTokens;
    }

    /// <summary>The history of a rollout of <paramref name="promptTokenIds"/> under <paramref name="options"/>; null when no penalty and no minimum apply.</summary>
    public static TokenHistory? For(IReadOnlyList<int> promptTokenIds, GenerationOptions options, IReadOnlySet<int> eosTokenIds)
    {
        var sampling = options.Sampling;
        if (!sampling.HasPenalties && options.MinNewTokens == 0) return null;
        var history = new TokenHistory(sampling.HasPenalties, options.MinNewTokens);
        // Presence and frequency count the output only; the prompt matters to the repetition penalty alone.
        if (sampling.RepetitionPenalty != 1)
            foreach (var token in promptTokenIds)
                history.Add(token, inPrompt: true);
        if (options.MinNewTokens > 0)
            foreach (var token in options.IgnoreEos ? options.StopTokenIds : eosTokenIds.Concat(options.StopTokenIds))
                history.Add(token, suppressed: true);
        return history;
    }

    /// <summary>What the sampler applies now (valid until the next <see cref="Append"/>).</summary>
    public ReadOnlySpan<TokenPenalty> Entries => CollectionsMarshal.AsSpan(_entries);

    public void Append(int token)
    {
        _length++;
        if (_counts) Add(token, count: 1);
        if (_length != _minNewTokens) return;
        // The minimum is reached: nothing is suppressed any more, and an entry left with nothing to apply goes.
        var kept = _entries.Where(e => e.OutputCount > 0 || e.InPrompt).ToList();
        _entries.Clear();
        _index.Clear();
        foreach (var e in kept) Add(e.TokenId, e.OutputCount, e.InPrompt);
    }

    /// <summary>Adds <paramref name="count"/> to the token's entry and sets the flags given (creating the entry if need be).</summary>
    private void Add(int token, int count = 0, bool inPrompt = false, bool suppressed = false)
    {
        if (_index.TryGetValue(token, out int at))
        {
            var e = _entries[at];
            _entries[at] = new TokenPenalty(token, e.OutputCount + count, e.InPrompt || inPrompt, e.Suppressed || suppressed);
        }
        else
        {
            _index[token] = _entries.Count;
            _entries.Add(new TokenPenalty(token, count, inPrompt, suppressed));
        }
    }
}
