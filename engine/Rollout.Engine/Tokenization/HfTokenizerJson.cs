using System.Text.Json.Nodes;

namespace Rollout.Engine.Tokenization;

/// <summary>Reads a Hugging Face tokenizer.json holding a byte-level BPE model (GPT-2, Llama-3, Qwen2 style).</summary>
internal static class HfTokenizerJson
{
    /// <summary>The model in <paramref name="file"/>, or null when it is not byte-level BPE (another format may serve).</summary>
    public static TokenizerModel? TryLoad(string file)
    {
        var root = TokenizerConfig.ReadJson(file)!;
        try
        {
            var model = root["model"] ?? throw new InputException($"{file}: no 'model' section");
            var preTokenizer = PreTokenizer.FromJson(root["pre_tokenizer"], file);
            if ((string?)model["type"] != "BPE" || !preTokenizer.IsByteLevel) return null;

            var vocab = (model["vocab"] as JsonObject ?? throw new InputException($"{file}: model.vocab is not an object"))
                .ToDictionary(p => p.Key, p => TokenizerConfig.ReadInt(p.Value, file), StringComparer.Ordinal);
            var merges = (model["merges"]?.AsArray() ?? []).Select(m => ReadMerge(m, file));
            var unknown = (string?)model["unk_token"] is { } unk && vocab.TryGetValue(unk, out var unkId) ? unkId : (int?)null;
            var bpe = new BytePairModel(vocab, merges, unknown, (bool?)model["ignore_merges"] ?? false);

            var added = (root["added_tokens"]?.AsArray() ?? []).Select(t => new AddedToken(
                TokenizerConfig.ReadInt(t?["id"], file),
                (string?)t?["content"] ?? throw new InputException($"{file}: added token without content"),
                (bool?)t!["special"] ?? false, (bool?)t["lstrip"] ?? false, (bool?)t["rstrip"] ?? false,
                (bool?)t["single_word"] ?? false, (bool?)t["normalized"] ?? false)).ToList();

            return new TokenizerModel(
                new ByteLevelBpeEncoder(preTokenizer, bpe),
                TextNormalizer.FromJson(root["normalizer"], file),
                vocab, added,
                SpecialTokenTemplate.FromJson(root["post_processor"], file),
                AddBosByDefault: false,
                ByteLevelAlphabet.Unspell);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new InputException($"{file}: malformed tokenizer.json ({e.Message})", e);
        }
    }

    /// <summary>A merge is "left right" (older files) or ["left", "right"] (newer files).</summary>
    private static (string, string) ReadMerge(JsonNode? merge, string file)
    {
        if (merge is JsonArray { Count: 2 } pair) return ((string)pair[0]!, (string)pair[1]!);
        var text = (string?)merge ?? "";
        var space = text.IndexOf(' ');
        return space > 0 ? (text[..space], text[(space + 1)..])
            : throw new InputException($"{file}: malformed merge '{text}'");
    }
}
