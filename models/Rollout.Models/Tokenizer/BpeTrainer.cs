using System.Text;
using System.Text.RegularExpressions;
using Rollout.Engine.Tokenization;

namespace Rollout.Models.Tokenizer;

/// <summary>
/// Learns byte-level BPE merges from text, GPT-2 style: words are the GPT-2 pre-tokenizer's pieces
/// spelled in <see cref="ByteLevelAlphabet"/> characters, and each step merges the most frequent
/// adjacent pair (ties: the ordinally smallest left, then right token), so the result depends on the
/// text alone.
/// </summary>
internal static class BpeTrainer
{
    /// <summary>
    /// Token strings in id order (256 bytes by byte value, then one per new merged token) and the
    /// merges in rank order, learned until there are <paramref name="tokenCount"/> tokens or no pair is left.
    /// </summary>
    public static (List<string> Tokens, List<(string Left, string Right)> Merges) Train(IEnumerable<string> texts, int tokenCount)
    {
        var tokens = Enumerable.Range(0, 256).Select(b => ByteLevelAlphabet.ToChar((byte)b).ToString()).ToList();
        var idOf = Enumerable.Range(0, 256).ToDictionary(i => tokens[i], i => i, StringComparer.Ordinal);
        var merges = new List<(string, string)>();

        var words = CountWords(texts);
        var pairCounts = new Dictionary<(int, int), long>();
        var pairWords = new Dictionary<(int, int), HashSet<int>>();
        var queue = new PriorityQueue<(int Left, int Right), (long Count, string Left, string Right)>(new BestPairFirst());
        for (var w = 0; w < words.Count; w++) AddPairs(w, +1);

        while (tokens.Count < tokenCount)
        {
            if (!queue.TryDequeue(out var pair, out var key)) break;
            if (!pairCounts.TryGetValue(pair, out var count) || count != key.Count) continue; // stale entry

            var merged = tokens[pair.Left] + tokens[pair.Right];
            merges.Add((tokens[pair.Left], tokens[pair.Right]));
            // Two different pairs can spell the same token; it keeps its first id.
            if (!idOf.TryGetValue(merged, out var mergedId))
            {
                mergedId = tokens.Count;
                tokens.Add(merged);
                idOf[merged] = mergedId;
            }
            foreach (var w in pairWords[pair].ToList())
            {
                AddPairs(w, -1);
                words[w] = (Merge(words[w].Symbols, pair, mergedId), words[w].Count);
                AddPairs(w, +1);
            }
        }
        return (tokens, merges);

        void AddPairs(int w, int sign)
        {
            var (symbols, wordCount) = words[w];
            for (var i = 0; i + 1 < symbols.Length; i++)
            {
                var p = (symbols[i], symbols[i + 1]);
                var updated = pairCounts.GetValueOrDefault(p) + sign * wordCount;
                if (updated == 0) pairCounts.Remove(p);
                else
                {
                    pairCounts[p] = updated;
                    queue.Enqueue(p, (updated, tokens[p.Item1], tokens[p.Item2]));
                }
                if (sign > 0)
                {
                    if (!pairWords.TryGetValue(p, out var set)) pairWords[p] = set = [];
                    set.Add(w);
                }
            }
        }
    }

    /// <summary>The distinct words of the texts as byte-id sequences, with how often each occurs.</summary>
    private static List<(int[] Symbols, long Count)> CountWords(IEnumerable<string> texts)
    {
        var pattern = new Regex(ByteLevelAlphabet.Gpt2Pattern);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var text in texts)
            foreach (Match m in pattern.Matches(text))
                counts[m.Value] = counts.GetValueOrDefault(m.Value) + 1;
        return counts.OrderBy(c => c.Key, StringComparer.Ordinal)
            .Select(c => (Encoding.UTF8.GetBytes(c.Key).Select(b => (int)b).ToArray(), c.Value))
            .ToList();
    }

    private static int[] Merge(int[] symbols, (int Left, int Right) pair, int mergedId)
    {
        var result = new List<int>(symbols.Length);
        for (var i = 0; i < symbols.Length; i++)
            if (i + 1 < symbols.Length && symbols[i] == pair.Left && symbols[i + 1] == pair.Right)
            {
                result.Add(mergedId);
                i++;
            }
            else result.Add(symbols[i]);
        return [.. result];
    }

    /// <summary>Highest count first; ties by the ordinal order of the left, then the right token.</summary>
    private sealed class BestPairFirst : IComparer<(long Count, string Left, string Right)>
    {
        public int Compare((long Count, string Left, string Right) x, (long Count, string Left, string Right) y)
        {
            var byCount = y.Count.CompareTo(x.Count);
            if (byCount != 0) return byCount;
            var byLeft = string.CompareOrdinal(x.Left, y.Left);
            return byLeft != 0 ? byLeft : string.CompareOrdinal(x.Right, y.Right);
        }
    }
}
