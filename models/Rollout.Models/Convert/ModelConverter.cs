using System.Text.Json.Nodes;
using Rollout.Engine;
using Rollout.Engine.Model;
using Rollout.Engine.Output;
using Rollout.Models.ModelFolder;
using Rollout.Models.Onnx;
using Rollout.Models.Weights;

namespace Rollout.Models.Convert;

/// <summary>
/// <c>model convert</c>: a Hugging Face checkpoint folder → the same folder layout <c>model new</c>
/// writes. Tokenizer files and generation_config.json are copied as they are. A model folder this project wrote
/// (its graph's weights under the checkpoint's names) converts too: to another graph layout or dtype.
/// </summary>
public static class ModelConverter
{
    public static readonly string[] TokenizerFiles =
        ["tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt", "special_tokens_map.json", "added_tokens.json"];

    public static ModelConfig Convert(string sourceDir, string outDir, WeightDtype dtype,
        long externalDataThreshold = DecoderExportOptions.DefaultExternalDataThreshold, DecoderGraphLayout graph = DecoderGraphLayout.Optimum)
    {
        if (Path.GetFullPath(sourceDir) == Path.GetFullPath(outDir))
            throw new InputException($"{outDir}: output folder must differ from the checkpoint folder");
        if (File.Exists(Path.Combine(sourceDir, ModelFolderWriter.OnnxFile)) && !Directory.EnumerateFiles(sourceDir, "*.safetensors").Any())
            return Relayout(sourceDir, outDir, new DecoderExportOptions { Dtype = dtype, ExternalDataThreshold = externalDataThreshold }, graph);
        OutputFolder.Create(outDir);
        var weights = HfCheckpoint.Load(sourceDir);
        if (!File.Exists(Path.Combine(sourceDir, "tokenizer.json")))
            throw new InputException($"{sourceDir}: tokenizer.json not found");
        var config = weights.Config;
        var options = new DecoderExportOptions { Dtype = dtype, ExternalDataThreshold = externalDataThreshold, Graph = graph };
        if (DecoderGraphWriter.Unsupported(config, options) is string problem) throw new InputException($"{sourceDir}: {problem}");

        var generationPath = Path.Combine(sourceDir, "generation_config.json");
        JsonObject? generation = null;
        if (File.Exists(generationPath))
        {
            try { generation = JsonNode.Parse(File.ReadAllText(generationPath)) as JsonObject; }
            catch (System.Text.Json.JsonException e) { throw new InputException($"{generationPath}: malformed JSON ({e.Message})"); }
        }
        int pad = PadTokenId(config, generation);

        foreach (var name in TokenizerFiles)
        {
            var source = Path.Combine(sourceDir, name);
            if (File.Exists(source)) File.Copy(source, Path.Combine(outDir, name), overwrite: true);
        }
        if (generation != null) File.Copy(generationPath, Path.Combine(outDir, "generation_config.json"), overwrite: true);
        ModelFolderWriter.Write(weights, outDir, options, pad, generation == null ? ModelFolderWriter.GenerationConfig(config, pad) : null);
        return config;
    }

    /// <summary>An ONNX model folder's weights written again in <paramref name="graph"/>'s layout, the rest of the folder copied.</summary>
    private static ModelConfig Relayout(string sourceDir, string outDir, DecoderExportOptions options, DecoderGraphLayout graph)
    {
        var weights = FolderWeights.Read(sourceDir);
        if (DecoderGraphWriter.Unsupported(weights.Config, options with { Graph = graph }) is string problem) throw new InputException($"{sourceDir}: {problem}");
        PolicyFolderWriter.Write(weights, sourceDir, outDir, options, graph);
        return weights.Config;
    }

    /// <summary>pad_token_id from generation_config.json, else the first eos, else 0 (GenAI requires one).</summary>
    private static int PadTokenId(ModelConfig config, JsonObject? generation)
    {
        if (generation?["pad_token_id"] is JsonValue v && v.TryGetValue(out int pad)) return pad;
        return config.EosTokenIds.Length > 0 ? config.EosTokenIds[0] : 0;
    }
}
