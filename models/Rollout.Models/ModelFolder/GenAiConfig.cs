using System.Text.Json.Nodes;
using Rollout.Engine;
using Rollout.Engine.Model;
using Rollout.Models.Onnx;

namespace Rollout.Models.ModelFolder;

/// <summary>
/// genai_config.json in ONNX Runtime GenAI's format (0.18), so GenAI can load the folder. GPT-2 is
/// declared as the generic "decoder": GenAI's "gpt2" type expects the old combined past_{i} layout.
/// A fused graph shares past and present (one buffer of max_length slots per layer and kind), so GenAI is told so.
/// </summary>
public static class GenAiConfig
{
    public const string FileName = "genai_config.json";

    /// <summary>The layout of the graph in <paramref name="folder"/>, as its genai_config.json says: a shared buffer is the fused layout.</summary>
    public static DecoderGraphLayout ReadLayout(string folder)
    {
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path)) return DecoderGraphLayout.Optimum;
        try
        {
            return JsonNode.Parse(File.ReadAllText(path))?["search"]?["past_present_share_buffer"] is JsonValue v && v.TryGetValue(out bool shared) && shared
                ? DecoderGraphLayout.Fused : DecoderGraphLayout.Optimum;
        }
        catch (System.Text.Json.JsonException e) { throw new InputException($"{path}: malformed JSON ({e.Message})"); }
    }

    public static JsonObject Build(ModelConfig c, string onnxFile, DecoderExportOptions options, int padTokenId)
    {
        var inputs = new JsonObject { ["input_ids"] = "input_ids", ["attention_mask"] = "attention_mask" };
        if (DecoderGraphWriter.HasPositionIds(c, options)) inputs["position_ids"] = "position_ids";
        inputs["past_key_names"] = "past_key_values.%d.key";
        inputs["past_value_names"] = "past_key_values.%d.value";
        int eos = c.EosTokenIds.Length > 0 ? c.EosTokenIds[0] : padTokenId;
        return new JsonObject
        {
            ["model"] = new JsonObject
            {
                ["bos_token_id"] = c.BosTokenId ?? eos,
                ["context_length"] = c.MaxPositions,
                ["decoder"] = new JsonObject
                {
                    ["session_options"] = new JsonObject { ["log_id"] = "onnxruntime-genai", ["provider_options"] = new JsonArray() },
                    ["filename"] = onnxFile,
                    ["head_size"] = c.HeadDim,
                    ["hidden_size"] = c.Hidden,
                    ["inputs"] = inputs,
                    ["outputs"] = new JsonObject
                    {
                        ["logits"] = "logits",
                        ["present_key_names"] = "present.%d.key",
                        ["present_value_names"] = "present.%d.value",
                    },
                    ["num_attention_heads"] = c.Heads,
                    ["num_hidden_layers"] = c.Layers,
                    ["num_key_value_heads"] = c.KvHeads,
                },
                ["eos_token_id"] = c.EosTokenIds.Length > 1 ? new JsonArray(c.EosTokenIds.Select(i => (JsonNode)i).ToArray()) : eos,
                ["pad_token_id"] = padTokenId,
                ["type"] = c.Architecture == Architecture.Gpt2 ? "decoder" : c.ModelType,
                ["vocab_size"] = c.VocabSize,
            },
            ["search"] = new JsonObject
            {
                ["diversity_penalty"] = 0.0,
                ["do_sample"] = false,
                ["early_stopping"] = true,
                ["length_penalty"] = 1.0,
                ["max_length"] = c.MaxPositions,
                ["min_length"] = 0,
                ["no_repeat_ngram_size"] = 0,
                ["num_beams"] = 1,
                ["num_return_sequences"] = 1,
                // The optimum graph concatenates past and new keys, so its present is a new, longer buffer each step.
                ["past_present_share_buffer"] = options.Graph == DecoderGraphLayout.Fused,
                ["repetition_penalty"] = 1.0,
                ["temperature"] = 1.0,
                ["top_k"] = 1,
                ["top_p"] = 1.0,
            },
        };
    }
}
