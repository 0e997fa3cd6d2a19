using System.Text.Json.Nodes;

namespace Rollout.Engine.Tokenization;

/// <summary>Reads the slow GPT-2 tokenizer's files: vocab.json and merges.txt.</summary>
internal static class GptVocabFiles
{
    public static TokenizerModel Load(string vocabFile, string mergesFile, TokenizerConfig config)
    {
        var vocab = (TokenizerConfig.ReadJson(vocabFile) as JsonObject
                ?? throw new InputException($"{vocabFile}: not a JSON object of token ids"))
            .ToDictionary(p => p.Key, p => TokenizerConfig.ReadInt(p.Value, vocabFile), StringComparer.Ordinal);
        var merges = new List<(string, string)>();
        foreach (var line in File.ReadLines(mergesFile))
        {
            if (line.StartsWith("#version", StringComparison.Ordinal) || line.Length == 0) continue;
            var parts = line.Split(' ');
            if (parts.Length != 2) throw new InputException($"{mergesFile}: malformed merge line '{line}'");
            merges.Add((parts[0], parts[1]));
        }
        var unknown = config.UnkToken is { } unk && vocab.TryGetValue(unk, out var unkId) ? unkId : (int?)null;
        var bpe = new BytePairModel(vocab, merges, unknown, ignoreMerges: false);
        return new TokenizerModel(
            new ByteLevelBpeEncoder(PreTokenizer.Gpt2(config.AddPrefixSpace), bpe),
            TextNormalizer.Identity, vocab, [], Template: null, AddBosByDefault: false, ByteLevelAlphabet.Unspell);
    }
}
