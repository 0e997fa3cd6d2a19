using System.Collections.Concurrent;

namespace Rollout.Engine.Tokenization;

/// <summary>
/// A BPE model over byte-level spelled words: the vocabulary and the ranked merges. Encoding
/// applies the lowest-ranked merge among adjacent symbols, leftmost first, until none applies.
/// </summary>
internal sealed class BytePairModel
{
    private const int CacheLimit = 100_000;

    private readonly Dictionary<(int Left, int Right), (int Rank, int Merged)> merges;
    private readonly int? unknownId;
    private readonly bool ignoreMerges;
    private readonly ConcurrentDictionary<string, int[]> cache = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, int> Vocab { get; }

    /// <param name="mergeList">pairs in rank order; a pair whose parts or result are not in the vocab is skipped.</param>
    /// <param name="ignoreMerges">a word that is itself in the vocab is one token (Llama-3, tiktoken).</param>
    public BytePairModel(IReadOnlyDictionary<string, int> vocab, IEnumerable<(string Left, string Right)> mergeList,
        int? unknownId, bool ignoreMerges)
    {
        Vocab = vocab;
        this.unknownId = unknownId;
        this.ignoreMerges = ignoreMerges;
        merges = [];
        var rank = 0;
        foreach (var (left, right) in mergeList)
        {
            if (vocab.TryGetValue(left, out var l) && vocab.TryGetValue(right, out var r) &&
                vocab.TryGetValue(left + right, out var merged))
                merges.TryAdd((l, r), (rank, merged));
            rank++;
        }
    }

    /// <summary>Appends the ids of one pre-tokenized, byte-level spelled word.</summary>
    public void Encode(string word, List<int> ids)
    {
        if (word.Length == 0) return;
        if (!cache.TryGetValue(word, out var encoded))
        {
            encoded = EncodeUncached(word);
            if (cache.Count < CacheLimit) cache.TryAdd(word, encoded);
        }
        ids.AddRange(encoded);
    }

    private int[] EncodeUncached(string word)
    {
        if (ignoreMerges && Vocab.TryGetValue(word, out var whole)) return [whole];
        var symbols = new List<int>(word.Length);
        foreach (var c in word)
        {
            if (Vocab.TryGetValue(c.ToString(), out var id)) symbols.Add(id);
            else if (unknownId is { } unk) symbols.Add(unk);
        }
        while (symbols.Count > 1)
        {
            var best = -1;
            var bestRank = int.MaxValue;
            var bestMerged = 0;
            for (var i = 0; i + 1 < symbols.Count; i++)
                if (merges.TryGetValue((symbols[i], symbols[i + 1]), out var m) && m.Rank < bestRank)
                    (best, bestRank, bestMerged) = (i, m.Rank, m.Merged);
            if (best < 0) break;
            symbols[best] = bestMerged;
            symbols.RemoveAt(best + 1);
        }
        return [.. symbols];
    }
}
