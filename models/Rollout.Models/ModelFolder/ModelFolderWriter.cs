using System.Text.Json;
using System.Text.Json.Nodes;
using Rollout.Engine.Model;
using Rollout.Models.Onnx;
using Rollout.Models.Weights;

namespace Rollout.Models.ModelFolder;

/// <summary>
/// Writes the model half of a folder in the Hugging Face / Optimum layout: config.json,
/// generation_config.json, genai_config.json and onnx/model.onnx (plus onnx/model.onnx.data when
/// the weights go external). Tokenizer files are the caller's: trained for a new model, copied on convert.
/// </summary>
public static class ModelFolderWriter
{
    public const string OnnxFile = "onnx/model.onnx";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Writes everything but generation_config.json when <paramref name="generationConfig"/> is null (the caller copies one).</summary>
    public static void Write(ModelWeights weights, string outDir, DecoderExportOptions options, int padTokenId, JsonObject? generationConfig)
    {
        var config = weights.Config with { TorchDtype = options.Dtype == WeightDtype.Float16 ? "float16" : "float32" };
        Directory.CreateDirectory(Path.Combine(outDir, "onnx"));
        config.Save(Path.Combine(outDir, "config.json"));
        if (generationConfig != null) WriteJson(Path.Combine(outDir, "generation_config.json"), generationConfig);
        WriteJson(Path.Combine(outDir, GenAiConfig.FileName), GenAiConfig.Build(config, OnnxFile, options, padTokenId));
        DecoderGraphWriter.Write(weights, Path.Combine(outDir, OnnxFile), options);
    }

    /// <summary>Hugging Face generation_config.json: greedy by default, with the config's special tokens.</summary>
    public static JsonObject GenerationConfig(ModelConfig c, int padTokenId)
    {
        var o = new JsonObject();
        if (c.BosTokenId is int bos) o["bos_token_id"] = bos;
        if (c.EosTokenIds.Length == 1) o["eos_token_id"] = c.EosTokenIds[0];
        else if (c.EosTokenIds.Length > 1) o["eos_token_id"] = new JsonArray(c.EosTokenIds.Select(i => (JsonNode)i).ToArray());
        o["pad_token_id"] = padTokenId;
        o["do_sample"] = false;
        return o;
    }

    internal static void WriteJson(string path, JsonNode json) => File.WriteAllText(path, json.ToJsonString(Indented));
}
