using System.Text.Json.Nodes;
using Rollout.Engine.Prompts;
using Rollout.Engine.Tokenization;

namespace Rollout.Engine.Model;

/// <summary>
/// A model folder in the Hugging Face / Optimum layout: config.json, generation_config.json,
/// tokenizer files and the ONNX graph (onnx/model.onnx, or model.onnx at the top as Optimum writes it).
/// Opening it validates the files; the ONNX session is created separately because tokenizing needs none.
/// </summary>
public sealed class ModelFolder
{
    public string Path { get; }
    public ModelConfig Config { get; }
    public TextTokenizer Tokenizer { get; }
    /// <summary>Ids that end a completion: config.json, generation_config.json and the tokenizer's eos, together.</summary>
    public IReadOnlySet<int> EosTokenIds { get; }

    private ModelFolder(string path, ModelConfig config, TextTokenizer tokenizer, IReadOnlySet<int> eos)
    {
        Path = path;
        Config = config;
        Tokenizer = tokenizer;
        EosTokenIds = eos;
    }

    public static ModelFolder Open(string dir)
    {
        if (!Directory.Exists(dir)) throw new InputException($"{dir}: model folder not found");
        ModelConfig config;
        try { config = ModelConfig.Load(System.IO.Path.Combine(dir, "config.json")); }
        catch (Exception e) when (e is FormatException or FileNotFoundException or InvalidOperationException)
        { throw new InputException(e.Message); }
        var tokenizer = TextTokenizer.Load(dir);
        // An id past the embedding table would fail inside ONNX Runtime at the first prompt or draw that uses it.
        if (tokenizer.VocabSize > config.VocabSize)
            throw new InputException($"{dir}: the tokenizer has token id {tokenizer.VocabSize - 1}, outside the model's vocabulary of {config.VocabSize} (config.json vocab_size)");

        var eos = new HashSet<int>(config.EosTokenIds);
        var generationConfig = System.IO.Path.Combine(dir, "generation_config.json");
        if (File.Exists(generationConfig))
        {
            try { eos.UnionWith(ModelConfig.IntList(JsonNode.Parse(File.ReadAllText(generationConfig))?["eos_token_id"])); }
            catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or FormatException)
            { throw new InputException($"{generationConfig}: malformed ({e.Message})"); }
        }
        if (tokenizer.EosTokenId is int tokenizerEos) eos.Add(tokenizerEos);
        if (eos.Where(id => id < 0 || id >= config.VocabSize).Select(id => (int?)id).FirstOrDefault() is int badEos)
            throw new InputException($"{dir}: end-of-sequence token id {badEos} is outside the model's vocabulary of {config.VocabSize}");
        return new ModelFolder(dir, config, tokenizer, eos);
    }

    /// <summary>
    /// Tokenizes every prompt (chat template where it has messages) and checks it fits the context window: needs the
    /// tokenizer only, so a client of remote workers encodes without loading the model.
    /// </summary>
    public IReadOnlyList<EncodedPrompt> Encode(IEnumerable<Prompt> prompts) =>
        prompts.Select(p => PromptEncoder.Encode(p, Tokenizer, Config.MaxPositions)).ToList();

    /// <summary>Fills padded positions; they are masked out, so any valid id will do (HF uses pad, else eos).</summary>
    public long PadTokenId => Tokenizer.PadTokenId ?? EosTokenIds.DefaultIfEmpty(0).Min();

    public string OnnxPath
    {
        get
        {
            foreach (var candidate in new[] { "onnx/model.onnx", "model.onnx", "decoder_model_merged.onnx", "onnx/decoder_model_merged.onnx" })
            {
                var path = System.IO.Path.Combine(Path, candidate);
                if (File.Exists(path)) return path;
            }
            throw new InputException($"{Path}: no ONNX model (looked for onnx/model.onnx, model.onnx, decoder_model_merged.onnx)");
        }
    }

    internal DecoderSession OpenSession(ExecutionDevice device = ExecutionDevice.Cpu, int intraOpThreads = 0) =>
        DecoderSession.Load(OnnxPath, Config, device, intraOpThreads: intraOpThreads);
}
