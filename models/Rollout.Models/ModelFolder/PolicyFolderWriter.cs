using Rollout.Engine;
using Rollout.Engine.Output;
using Rollout.Models.Onnx;
using Rollout.Models.Weights;

namespace Rollout.Models.ModelFolder;

/// <summary>
/// Writes updated weights (a policy after training steps) as a complete model folder beside the one they came from:
/// the graph is written from the weights, everything else (config, generation config, tokenizer) is the source
/// folder's, so <c>generate</c>, <c>eval</c> and <c>score</c> open it like the source.
/// </summary>
public static class PolicyFolderWriter
{
    /// <summary>The source files that describe the model rather than its weights, copied as they are where present.</summary>
    private static readonly string[] CopiedFiles =
    [
        "config.json", "generation_config.json", "genai_config.json", "tokenizer.json", "tokenizer_config.json",
        "vocab.json", "merges.txt", "special_tokens_map.json", "added_tokens.json", "chat_template.jinja",
    ];

    /// <param name="weights">Tensors of the source model's shapes; the source's config.json describes them, except that a
    /// tied head may have come untied (a head core baked into the head alone): then config.json says so.</param>
    /// <param name="options">Dtype and external data of the graph.</param>
    /// <param name="layout">The graph's layout; by default the source's, whose genai_config.json is then copied (else written for the new layout).</param>
    public static void Write(ModelWeights weights, string sourceDir, string outDir, DecoderExportOptions? options = null, DecoderGraphLayout? layout = null)
    {
        var source = Engine.Model.ModelFolder.Open(sourceDir);
        bool untied = source.Config.TieWordEmbeddings && !weights.Config.TieWordEmbeddings;
        // The graph follows the source's configuration (rotary theta, norm epsilon, ...), as the copied config.json says.
        var config = untied ? source.Config with { TieWordEmbeddings = false } : source.Config;
        if (ModelWeights.FindProblem(config, weights.Tensors) is string problem)
            throw new InputException($"{sourceDir}: the weights do not fit this model ({problem})");
        OutputFolder.CreateEmpty(outDir);
        var policy = new ModelWeights(config, weights.Tensors);
        var sourceLayout = GenAiConfig.ReadLayout(sourceDir);
        var graph = layout ?? sourceLayout;
        ModelFolderWriter.Write(policy, outDir, (options ?? new DecoderExportOptions()) with { Graph = graph }, (int)source.PadTokenId, generationConfig: null);
        foreach (var file in CopiedFiles.Where(f => !(untied && f == "config.json") && !(graph != sourceLayout && f == GenAiConfig.FileName)))
        {
            var from = Path.Combine(sourceDir, file);
            if (File.Exists(from)) File.Copy(from, Path.Combine(outDir, file), overwrite: true);
        }
    }
}
