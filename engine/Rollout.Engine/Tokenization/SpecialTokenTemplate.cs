using System.Text.Json.Nodes;

namespace Rollout.Engine.Tokenization;

/// <summary>The special tokens put around one encoded text (HF's post-processor for a single sequence).</summary>
internal sealed record SpecialTokenTemplate(int[] Prefix, int[] Suffix)
{
    public static SpecialTokenTemplate None { get; } = new([], []);

    /// <summary>Llama-style: BOS and/or EOS by the add_bos_token/add_eos_token flags.</summary>
    public static SpecialTokenTemplate FromFlags(bool addBos, int? bosId, bool addEos, int? eosId) =>
        new(addBos && bosId is { } b ? [b] : [], addEos && eosId is { } e ? [e] : []);

    /// <summary>The <c>post_processor</c> of a tokenizer.json.</summary>
    public static SpecialTokenTemplate FromJson(JsonNode? node, string file)
    {
        if (node == null) return None;
        var type = (string?)node["type"];
        switch (type)
        {
            case "ByteLevel":
                return None;
            case "Sequence":
                var parts = (node["processors"]?.AsArray() ?? []).Select(p => FromJson(p, file)).ToList();
                return new([.. parts.SelectMany(p => p.Prefix)], [.. parts.SelectMany(p => p.Suffix)]);
            case "RobertaProcessing":
            case "BertProcessing":
                return new([PairId(node["cls"], file)], [PairId(node["sep"], file)]);
            case "TemplateProcessing":
                var prefix = new List<int>();
                var suffix = new List<int>();
                var seenSequence = false;
                foreach (var piece in node["single"]?.AsArray() ?? [])
                {
                    if (piece?["Sequence"] != null) { seenSequence = true; continue; }
                    var name = (string?)piece?["SpecialToken"]?["id"]
                        ?? throw new InputException($"{file}: TemplateProcessing piece is neither Sequence nor SpecialToken");
                    var ids = node["special_tokens"]?[name]?["ids"]?.AsArray()
                        ?? throw new InputException($"{file}: TemplateProcessing names undefined special token '{name}'");
                    (seenSequence ? suffix : prefix).AddRange(ids.Select(i => TokenizerConfig.ReadInt(i, file)));
                }
                return new([.. prefix], [.. suffix]);
            default:
                throw new InputException($"{file}: unsupported post_processor type '{type}'");
        }
    }

    /// <summary>Roberta/Bert processors name a token as ["content", id].</summary>
    private static int PairId(JsonNode? pair, string file) =>
        pair is JsonArray { Count: 2 } a ? TokenizerConfig.ReadInt(a[1], file)
        : throw new InputException($"{file}: post_processor token is not a [content, id] pair");
}
