using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rollout.Engine.Tokenization;

/// <summary>
/// What tokenizer_config.json (with special_tokens_map.json, chat_template.jinja/.json and
/// added_tokens.json as fallbacks and extras) says about special tokens and templates.
/// </summary>
internal sealed record TokenizerConfig(
    string? TokenizerClass,
    string? BosToken, string? EosToken, string? PadToken, string? UnkToken,
    IReadOnlyList<string> AdditionalSpecialTokens,
    bool? AddBosToken, bool? AddEosToken, bool AddPrefixSpace,
    string? ChatTemplate, int? ModelMaxLength,
    IReadOnlyList<AddedToken> AddedTokens)
{
    public static TokenizerConfig Read(string modelDir)
    {
        try
        {
            return ReadFiles(modelDir);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new InputException($"{Path.Combine(modelDir, "tokenizer_config.json")}: malformed ({e.Message})", e);
        }
    }

    private static TokenizerConfig ReadFiles(string modelDir)
    {
        var config = ReadJson(Path.Combine(modelDir, "tokenizer_config.json")) ?? new JsonObject();
        var map = ReadJson(Path.Combine(modelDir, "special_tokens_map.json")) ?? new JsonObject();
        var configFile = Path.Combine(modelDir, "tokenizer_config.json");

        string? Special(string key) => TokenContent(config[key]) ?? TokenContent(map[key]);

        var added = new List<AddedToken>();
        if (config["added_tokens_decoder"] is JsonObject decoder)
            foreach (var (key, value) in decoder)
            {
                if (!int.TryParse(key, out var id) || value is not JsonObject t || (string?)t["content"] is not { } content)
                    throw new InputException($"{configFile}: malformed added_tokens_decoder entry '{key}'");
                added.Add(new AddedToken(id, content, (bool?)t["special"] ?? false, (bool?)t["lstrip"] ?? false,
                    (bool?)t["rstrip"] ?? false, (bool?)t["single_word"] ?? false, (bool?)t["normalized"] ?? true));
            }
        var addedTokensFile = Path.Combine(modelDir, "added_tokens.json");
        if (ReadJson(addedTokensFile) is JsonObject extra)
            foreach (var (content, id) in extra)
                added.Add(new AddedToken(ReadInt(id, addedTokensFile), content, Special: false, Normalized: true));

        var additional = (config["additional_special_tokens"] ?? map["additional_special_tokens"])?.AsArray()
            .Select(TokenContent).OfType<string>().ToList() ?? [];

        return new TokenizerConfig(
            (string?)config["tokenizer_class"],
            Special("bos_token"), Special("eos_token"), Special("pad_token"), Special("unk_token"),
            additional,
            (bool?)config["add_bos_token"], (bool?)config["add_eos_token"], (bool?)config["add_prefix_space"] ?? false,
            ReadChatTemplate(modelDir, config),
            config["model_max_length"] is JsonValue v && v.TryGetValue<double>(out var max) && max <= int.MaxValue ? (int)max : null,
            added);
    }

    /// <summary>Reads a JSON file, or null when it does not exist.</summary>
    public static JsonNode? ReadJson(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            return JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { AllowTrailingCommas = true })
                ?? throw new InputException($"{path}: empty JSON");
        }
        catch (JsonException e)
        {
            throw new InputException($"{path}: malformed JSON ({e.Message})", e);
        }
    }

    public static int ReadInt(JsonNode? node, string file) =>
        node is JsonValue v && v.TryGetValue<int>(out var i) ? i
        : throw new InputException($"{file}: expected an integer id, found '{node?.ToJsonString()}'");

    /// <summary>A special token given as a string or as an AddedToken object.</summary>
    private static string? TokenContent(JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonObject o => (string?)o["content"],
        _ => null,
    };

    /// <summary>The default chat template: tokenizer_config's (a string, or named templates), else chat_template.jinja/.json.</summary>
    private static string? ReadChatTemplate(string modelDir, JsonNode config)
    {
        switch (config["chat_template"])
        {
            case JsonValue v when v.TryGetValue<string>(out var s): return s;
            case JsonArray named:
                var chosen = named.FirstOrDefault(t => (string?)t?["name"] == "default") ?? named.FirstOrDefault();
                return (string?)chosen?["template"];
        }
        var jinja = Path.Combine(modelDir, "chat_template.jinja");
        if (File.Exists(jinja)) return File.ReadAllText(jinja);
        return (string?)ReadJson(Path.Combine(modelDir, "chat_template.json"))?["chat_template"];
    }
}
