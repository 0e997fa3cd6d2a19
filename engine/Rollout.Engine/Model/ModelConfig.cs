using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rollout.Engine.Model;

/// <summary>Decoder families the engine and the model writer know by name.</summary>
public enum Architecture { Gpt2, Llama, Qwen2 }

/// <summary>
/// The architecture hyper-parameters of a Hugging Face <c>config.json</c>, in one shape for
/// every family. GPT-2 spells them differently (<c>n_layer</c>, <c>n_embd</c>, ...); both spellings
/// are read, and each family is written back in its own spelling so HF tools read the file too.
/// </summary>
public sealed record ModelConfig
{
    public required Architecture Architecture { get; init; }
    public required int Layers { get; init; }
    public required int Hidden { get; init; }
    public required int Heads { get; init; }
    public required int KvHeads { get; init; }
    public required int Intermediate { get; init; }
    public required int VocabSize { get; init; }
    public int MaxPositions { get; init; } = 1024;
    /// <summary>LayerNorm epsilon (GPT-2) or RMSNorm epsilon (Llama, Qwen2).</summary>
    public double NormEpsilon { get; init; } = 1e-5;
    public double RopeTheta { get; init; } = 10000.0;
    public bool TieWordEmbeddings { get; init; }
    public int? BosTokenId { get; init; }
    public int[] EosTokenIds { get; init; } = [];
    public string TorchDtype { get; init; } = "float32";

    public int HeadDim => Hidden / Heads;
    /// <summary>Qwen2 has biases on q/k/v projections; Llama has none; GPT-2 has biases everywhere.</summary>
    public bool AttentionBias => Architecture != Architecture.Llama;

    public string ModelType => Architecture switch
    {
        Architecture.Gpt2 => "gpt2",
        Architecture.Llama => "llama",
        Architecture.Qwen2 => "qwen2",
        _ => throw new ArgumentOutOfRangeException(nameof(Architecture)),
    };

    public static Architecture ParseArchitecture(string modelType) => modelType.ToLowerInvariant() switch
    {
        "gpt2" => Architecture.Gpt2,
        "llama" => Architecture.Llama,
        "qwen2" => Architecture.Qwen2,
        _ => throw new FormatException($"model_type '{modelType}' is not supported (gpt2, llama, qwen2)"),
    };

    /// <summary>Reads <paramref name="path"/>; errors name the file and the missing or bad field.</summary>
    public static ModelConfig Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: config.json not found", path);
        JsonObject json;
        try { json = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new FormatException("not a JSON object"); }
        catch (JsonException e) { throw new FormatException($"{path}: malformed JSON ({e.Message})"); }
        try { return Parse(json); }
        catch (Exception e) when (e is FormatException or InvalidOperationException)
        { throw new FormatException($"{path}: {e.Message}"); }
    }

    public static ModelConfig Parse(JsonObject json)
    {
        var arch = ParseArchitecture(Str(json, "model_type") ?? throw new FormatException("model_type is missing"));
        int Req(params string[] names) => Int(json, names) ?? throw new FormatException($"{names[0]} is missing");
        int heads = Req("num_attention_heads", "n_head");
        int hidden = Req("hidden_size", "n_embd");
        return new ModelConfig
        {
            Architecture = arch,
            Layers = Req("num_hidden_layers", "n_layer"),
            Hidden = hidden,
            Heads = heads,
            KvHeads = Int(json, "num_key_value_heads") ?? heads,
            Intermediate = Int(json, "intermediate_size", "n_inner") ?? 4 * hidden,
            VocabSize = Req("vocab_size"),
            MaxPositions = Int(json, "max_position_embeddings", "n_positions", "n_ctx") ?? 1024,
            NormEpsilon = Dbl(json, "rms_norm_eps", "layer_norm_epsilon") ?? 1e-5,
            RopeTheta = Dbl(json, "rope_theta") ?? 10000.0,
            // HF's default differs by family: GPT-2 ties unless told otherwise, Llama does not.
            TieWordEmbeddings = json["tie_word_embeddings"]?.GetValue<bool>() ?? arch == Architecture.Gpt2,
            BosTokenId = Int(json, "bos_token_id"),
            EosTokenIds = IntList(json["eos_token_id"]),
            TorchDtype = Str(json, "torch_dtype") ?? "float32",
        };
    }

    public JsonObject ToJson()
    {
        var o = new JsonObject { ["model_type"] = ModelType };
        if (Architecture == Architecture.Gpt2)
        {
            o["architectures"] = new JsonArray("GPT2LMHeadModel");
            o["n_layer"] = Layers; o["n_embd"] = Hidden; o["n_head"] = Heads; o["n_inner"] = Intermediate;
            o["n_positions"] = MaxPositions; o["n_ctx"] = MaxPositions; o["layer_norm_epsilon"] = NormEpsilon;
            o["activation_function"] = "gelu_new";
        }
        else
        {
            o["architectures"] = new JsonArray(Architecture == Architecture.Llama ? "LlamaForCausalLM" : "Qwen2ForCausalLM");
            o["num_hidden_layers"] = Layers; o["hidden_size"] = Hidden; o["num_attention_heads"] = Heads;
            o["num_key_value_heads"] = KvHeads; o["intermediate_size"] = Intermediate;
            o["max_position_embeddings"] = MaxPositions; o["rms_norm_eps"] = NormEpsilon; o["rope_theta"] = RopeTheta;
            o["hidden_act"] = "silu"; o["head_dim"] = HeadDim;
            if (Architecture == Architecture.Llama) { o["attention_bias"] = false; o["mlp_bias"] = false; }
        }
        o["vocab_size"] = VocabSize;
        o["tie_word_embeddings"] = TieWordEmbeddings;
        if (BosTokenId is int bos) o["bos_token_id"] = bos;
        if (EosTokenIds.Length == 1) o["eos_token_id"] = EosTokenIds[0];
        else if (EosTokenIds.Length > 1) o["eos_token_id"] = new JsonArray(EosTokenIds.Select(i => (JsonNode)i).ToArray());
        o["torch_dtype"] = TorchDtype;
        o["use_cache"] = true;
        return o;
    }

    public void Save(string path) =>
        File.WriteAllText(path, ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

    private static string? Str(JsonObject json, string name) =>
        json[name] is JsonValue v && v.TryGetValue(out string? s) ? s : null;

    private static int? Int(JsonObject json, params string[] names)
    {
        foreach (var n in names)
            if (json[n] is JsonValue v && v.TryGetValue(out double d)) return checked((int)d);
        return null;
    }

    private static double? Dbl(JsonObject json, params string[] names)
    {
        foreach (var n in names)
            if (json[n] is JsonValue v && v.TryGetValue(out double d)) return d;
        return null;
    }

    internal static int[] IntList(JsonNode? node) => node switch
    {
        null => [],
        JsonArray a => a.Select(x => x!.GetValue<int>()).ToArray(),
        JsonValue v when v.TryGetValue(out double d) => [checked((int)d)],
        _ => [],
    };
}
