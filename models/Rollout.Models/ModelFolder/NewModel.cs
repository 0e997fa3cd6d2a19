using Rollout.Engine;
using Rollout.Engine.Model;
using Rollout.Engine.Output;
using Rollout.Models.Onnx;
using Rollout.Models.Tokenizer;
using Rollout.Models.Weights;

namespace Rollout.Models.ModelFolder;

/// <summary>
/// <c>model new</c>: a seeded random model of a given shape, written as a complete folder with a
/// byte-level BPE tokenizer trained on the built-in corpus. &lt;|endoftext|&gt; is bos, eos and pad.
/// </summary>
public static class NewModel
{
    /// <param name="tokenizerVocab">Tokens the trained tokenizer holds, when fewer than <paramref name="vocab"/> (default: all):
    /// the ids above are padding rows, as Qwen2 pads its 151936 rows beyond its tokenizer. It lets a model have a real-size vocabulary
    /// the built-in corpus cannot train a tokenizer for.</param>
    public static ModelConfig Write(Architecture arch, int layers, int hidden, int heads, int kvHeads, int intermediate,
        int vocab, int seed, string outDir, WeightDtype dtype, int maxPositions = 1024, DecoderGraphLayout graph = DecoderGraphLayout.Optimum,
        int? tokenizerVocab = null)
    {
        Check(layers >= 1, $"layers must be at least 1 (got {layers})");
        Check(hidden >= 1 && heads >= 1 && hidden % heads == 0, $"hidden ({hidden}) must be a positive multiple of heads ({heads})");
        Check(kvHeads >= 1 && heads % kvHeads == 0, $"heads ({heads}) must be a multiple of kv-heads ({kvHeads})");
        Check(arch != Architecture.Gpt2 || kvHeads == heads, $"gpt2 has no grouped-query attention: kv-heads ({kvHeads}) must equal heads ({heads})");
        Check(arch == Architecture.Gpt2 || hidden / heads % 2 == 0, $"rotary embedding needs an even head size (hidden / heads = {hidden / heads})");
        Check(intermediate >= 1, $"intermediate must be at least 1 (got {intermediate})");
        Check(maxPositions >= 1, $"max positions must be at least 1 (got {maxPositions})");
        Check(tokenizerVocab is null || tokenizerVocab <= vocab, $"the tokenizer's {tokenizerVocab} tokens do not fit the vocab ({vocab})");
        TokenizerFilesWriter.CheckVocabSize(tokenizerVocab ?? vocab);
        var options = new DecoderExportOptions { Dtype = dtype, Graph = graph };
        var shape = new ModelConfig
        {
            Architecture = arch, Layers = layers, Hidden = hidden, Heads = heads, KvHeads = kvHeads,
            Intermediate = intermediate, VocabSize = vocab, MaxPositions = maxPositions,
            NormEpsilon = arch == Architecture.Gpt2 ? 1e-5 : 1e-6,
            // Qwen2's published theta; small Qwen2 models tie their head to the embedding, Llama does not.
            RopeTheta = arch == Architecture.Qwen2 ? 1_000_000 : 10_000,
            TieWordEmbeddings = arch != Architecture.Llama,
        };
        // Before anything is written, so a refused shape leaves no half folder.
        if (DecoderGraphWriter.Unsupported(shape, options) is string problem) Check(false, problem);
        OutputFolder.CreateEmpty(outDir);
        var tokenizer = TokenizerFilesWriter.WriteTrained(outDir, tokenizerVocab ?? vocab);
        Check(tokenizer.VocabSize <= vocab, $"vocab ({vocab}) is smaller than the tokenizer's {tokenizer.VocabSize} tokens");
        int eot = tokenizer.EndOfTextId;
        var config = shape with { BosTokenId = eot, EosTokenIds = [eot] };
        var weights = RandomWeights.Create(config, seed);
        ModelFolderWriter.Write(weights, outDir, options, eot, ModelFolderWriter.GenerationConfig(config, eot));
        return config;
    }

    private static void Check(bool ok, string message)
    {
        if (!ok) throw new InputException("model new: " + message);
    }
}
