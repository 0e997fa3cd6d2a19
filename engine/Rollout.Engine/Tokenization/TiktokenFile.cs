using System.Text.RegularExpressions;

namespace Rollout.Engine.Tokenization;

/// <summary>
/// Reads a tiktoken rank file ("base64-bytes rank" per line) as byte-level BPE, as HF's
/// TikTokenConverter does: a token's rank is its id, and every split of a token into two known
/// tokens is a merge of that rank. The file carries no pattern; its name picks one (see <see cref="PatternFor"/>).
/// </summary>
internal static class TiktokenFile
{
    /// <summary>True when the file's first line looks like a tiktoken rank line.</summary>
    public static bool LooksLikeTiktoken(string file)
    {
        using var reader = new StreamReader(file);
        var buffer = new char[256];
        var read = reader.ReadBlock(buffer, 0, buffer.Length);
        var firstLine = new string(buffer, 0, read).Split('\n')[0];
        return Regex.IsMatch(firstLine, @"^[A-Za-z0-9+/=]+ \d+\r?$");
    }

    public static TokenizerModel Load(string file)
    {
        var tokens = new List<(byte[] Bytes, int Rank)>();
        foreach (var line in File.ReadLines(file))
        {
            if (line.Length == 0) continue;
            var parts = line.Split(' ');
            try
            {
                if (parts.Length != 2) throw new FormatException("expected two fields");
                tokens.Add((Convert.FromBase64String(parts[0]), int.Parse(parts[1])));
            }
            catch (FormatException e)
            {
                throw new InputException($"{file}: malformed tiktoken line '{line}'", e);
            }
        }
        var vocab = tokens.ToDictionary(t => ByteLevelAlphabet.Spell(t.Bytes), t => t.Rank, StringComparer.Ordinal);

        var merges = new List<(int TokenRank, int LeftRank, int RightRank, string Left, string Right)>();
        foreach (var (bytes, rank) in tokens)
        {
            var spelled = ByteLevelAlphabet.Spell(bytes);
            for (var k = 1; k < spelled.Length; k++)
                if (vocab.TryGetValue(spelled[..k], out var l) && vocab.TryGetValue(spelled[k..], out var r))
                    merges.Add((rank, l, r, spelled[..k], spelled[k..]));
        }
        merges.Sort((a, b) => (a.TokenRank, a.LeftRank, a.RightRank).CompareTo((b.TokenRank, b.LeftRank, b.RightRank)));

        var bpe = new BytePairModel(vocab, merges.Select(m => (m.Left, m.Right)), unknownId: null, ignoreMerges: true);
        return new TokenizerModel(
            new ByteLevelBpeEncoder(PreTokenizer.Tiktoken(PatternFor(file)), bpe),
            TextNormalizer.Identity, vocab, [], Template: null, AddBosByDefault: false, ByteLevelAlphabet.Unspell);
    }

    private const string Cl100kPattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    private const string O200kPattern =
        @"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?" +
        @"|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?" +
        @"|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>GPT-2's pattern for gpt2/r50k/p50k files, o200k's for o200k files, else cl100k's (also Llama-3's).</summary>
    private static Regex PatternFor(string file)
    {
        var name = Path.GetFileName(file).ToLowerInvariant();
        var pattern = name.StartsWith("gpt2") || name.StartsWith("r50k") || name.StartsWith("p50k") ? ByteLevelAlphabet.Gpt2Pattern
            : name.StartsWith("o200k") ? O200kPattern
            : Cl100kPattern;
        return new Regex(pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant);
    }
}
