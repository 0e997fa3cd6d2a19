using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Rollout.Engine;

namespace Rollout.Models.Tokenizer;

/// <summary>
/// Writes a byte-level BPE tokenizer trained on the embedded corpus as a Hugging Face tokenizer
/// folder shaped like GPT-2's: tokenizer.json, vocab.json, merges.txt, tokenizer_config.json,
/// special_tokens_map.json. Ids: the 256 bytes (by byte value), the learned tokens, then the
/// special tokens of <see cref="SpecialTokens"/>, in that order.
/// </summary>
public static class TokenizerFilesWriter
{
    public const string EndOfText = "<|endoftext|>";

    /// <summary>The context length tokenizer_config.json states (model_max_length).</summary>
    public const int ModelMaxLength = 2048;

    /// <summary>The special tokens, in id order at the end of the vocabulary.</summary>
    public static IReadOnlyList<string> SpecialTokens { get; } =
    [
        EndOfText, "<|im_start|>", "<|im_end|>", "<think>", "</think>",
        .. Enumerable.Range(1, 16).Select(k => $"<episode_{k}>"),
        .. Enumerable.Range(1, 16).Select(k => $"</episode_{k}>"),
    ];

    /// <summary>ChatML: each message as &lt;|im_start|&gt;role\ncontent&lt;|im_end|&gt;\n, then the assistant's header when asked.</summary>
    public const string ChatTemplate =
        "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
        "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Refuses a vocabulary too small for the bytes and the special tokens (checked before anything is written).</summary>
    public static void CheckVocabSize(int vocabSize)
    {
        var minimum = 256 + SpecialTokens.Count;
        if (vocabSize < minimum)
            throw new InputException($"vocab size {vocabSize}: a byte-level tokenizer needs at least {minimum} (256 bytes + {SpecialTokens.Count} special tokens)");
    }

    /// <summary>Trains a tokenizer of exactly <paramref name="vocabSize"/> tokens and writes its files into <paramref name="modelDir"/>; same size, same bytes.</summary>
    public static TokenizerSummary WriteTrained(string modelDir, int vocabSize)
    {
        CheckVocabSize(vocabSize);

        var (tokens, merges) = BpeTrainer.Train(WithoutSpecialTokens(TrainingCorpus.Texts), vocabSize - SpecialTokens.Count);
        if (tokens.Count + SpecialTokens.Count < vocabSize)
            throw new InputException($"vocab size {vocabSize}: the embedded tokenizer corpus supports at most {tokens.Count + SpecialTokens.Count}");
        var specialIds = SpecialTokens.Select((t, i) => (t, tokens.Count + i)).ToDictionary(p => p.t, p => p.Item2);
        var vocab = new JsonObject();
        for (var id = 0; id < tokens.Count; id++) vocab[tokens[id]] = id;
        foreach (var (token, id) in specialIds) vocab[token] = id;

        Directory.CreateDirectory(modelDir);
        Write(modelDir, "vocab.json", vocab.DeepClone());
        File.WriteAllText(Path.Combine(modelDir, "merges.txt"),
            "#version: 0.2\n" + string.Concat(merges.Select(m => $"{m.Left} {m.Right}\n")), new UTF8Encoding(false));
        Write(modelDir, "tokenizer.json", TokenizerJson(vocab, merges, specialIds));
        Write(modelDir, "tokenizer_config.json", TokenizerConfig(specialIds));
        Write(modelDir, "special_tokens_map.json", SpecialTokensMap());
        return new TokenizerSummary(vocabSize, specialIds[EndOfText], specialIds);
    }

    /// <summary>Training text with the special tokens cut out, so no merge learns pieces of them.</summary>
    private static IEnumerable<string> WithoutSpecialTokens(IEnumerable<string> texts) =>
        texts.SelectMany(t => t.Split([.. SpecialTokens], StringSplitOptions.RemoveEmptyEntries));

    private static JsonObject ByteLevel(bool addPrefixSpace, bool trimOffsets) => new()
    {
        ["type"] = "ByteLevel", ["add_prefix_space"] = addPrefixSpace, ["trim_offsets"] = trimOffsets, ["use_regex"] = true,
    };

    private static JsonObject TokenizerJson(JsonObject vocab, List<(string Left, string Right)> merges, Dictionary<string, int> specialIds) => new()
    {
        ["version"] = "1.0",
        ["truncation"] = null,
        ["padding"] = null,
        ["added_tokens"] = new JsonArray([.. specialIds.Select(p => (JsonNode)new JsonObject
        {
            ["id"] = p.Value, ["content"] = p.Key, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false,
            ["normalized"] = false, ["special"] = true,
        })]),
        ["normalizer"] = null,
        ["pre_tokenizer"] = ByteLevel(addPrefixSpace: false, trimOffsets: true),
        ["post_processor"] = ByteLevel(addPrefixSpace: true, trimOffsets: false),
        ["decoder"] = ByteLevel(addPrefixSpace: true, trimOffsets: true),
        ["model"] = new JsonObject
        {
            ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = "",
            ["end_of_word_suffix"] = "", ["fuse_unk"] = false, ["byte_fallback"] = false, ["ignore_merges"] = false,
            ["vocab"] = vocab,
            ["merges"] = new JsonArray([.. merges.Select(m => (JsonNode)JsonValue.Create($"{m.Left} {m.Right}"))]),
        },
    };

    private static JsonObject TokenizerConfig(Dictionary<string, int> specialIds) => new()
    {
        ["add_bos_token"] = false,
        ["add_prefix_space"] = false,
        ["added_tokens_decoder"] = new JsonObject(specialIds.Select(p => KeyValuePair.Create(p.Value.ToString(), (JsonNode?)new JsonObject
        {
            ["content"] = p.Key, ["lstrip"] = false, ["normalized"] = false, ["rstrip"] = false, ["single_word"] = false, ["special"] = true,
        }))),
        ["additional_special_tokens"] = AdditionalSpecialTokens(),
        ["bos_token"] = EndOfText,
        ["chat_template"] = ChatTemplate,
        ["clean_up_tokenization_spaces"] = false,
        ["eos_token"] = EndOfText,
        ["errors"] = "replace",
        ["model_max_length"] = ModelMaxLength,
        ["pad_token"] = EndOfText,
        ["tokenizer_class"] = "GPT2Tokenizer",
        ["unk_token"] = EndOfText,
    };

    private static JsonObject SpecialTokensMap() => new()
    {
        ["additional_special_tokens"] = AdditionalSpecialTokens(),
        ["bos_token"] = EndOfText,
        ["eos_token"] = EndOfText,
        ["pad_token"] = EndOfText,
        ["unk_token"] = EndOfText,
    };

    private static JsonArray AdditionalSpecialTokens() => new([.. SpecialTokens.Skip(1).Select(t => (JsonNode)JsonValue.Create(t))]);

    private static void Write(string dir, string name, JsonNode content) =>
        File.WriteAllText(Path.Combine(dir, name), content.ToJsonString(Json) + "\n", new UTF8Encoding(false));
}
