using Rollout.Engine.Model;

namespace Rollout.Models.Tests.Support;

/// <summary>Small configurations of each family, tiny enough that the float64 reference runs in milliseconds.</summary>
internal static class TinyModels
{
    public static ModelConfig Gpt2 { get; } = new()
    {
        Architecture = Architecture.Gpt2, Layers = 2, Hidden = 32, Heads = 4, KvHeads = 4, Intermediate = 128,
        VocabSize = 300, MaxPositions = 64, TieWordEmbeddings = true, BosTokenId = 0, EosTokenIds = [0],
    };

    /// <summary>Grouped-query attention (4 query heads over 2 kv heads), untied head.</summary>
    public static ModelConfig Llama { get; } = new()
    {
        Architecture = Architecture.Llama, Layers = 2, Hidden = 32, Heads = 4, KvHeads = 2, Intermediate = 64,
        VocabSize = 300, MaxPositions = 64, NormEpsilon = 1e-6, TieWordEmbeddings = false, BosTokenId = 0, EosTokenIds = [0],
    };

    /// <summary>q/k/v biases, three query heads per kv head, tied head, Qwen2's large rope theta.</summary>
    public static ModelConfig Qwen2 { get; } = new()
    {
        Architecture = Architecture.Qwen2, Layers = 2, Hidden = 48, Heads = 6, KvHeads = 2, Intermediate = 96,
        VocabSize = 320, MaxPositions = 64, NormEpsilon = 1e-6, RopeTheta = 1e6, TieWordEmbeddings = true,
        BosTokenId = 0, EosTokenIds = [0],
    };

    public static ModelConfig ByName(string name) => name switch
    {
        "gpt2" => Gpt2,
        "llama" => Llama,
        "qwen2" => Qwen2,
        _ => throw new ArgumentException(name),
    };

    /// <summary>
    /// The family <paramref name="name"/> in a shape ONNX Runtime's GroupQueryAttention accepts: its rotary
    /// caches need a head size that is a multiple of 16, so Llama and Qwen2 get twice the hidden size (head size 16).
    /// </summary>
    public static ModelConfig ForFusedGraph(string name)
    {
        var c = ByName(name);
        return c.Architecture == Architecture.Gpt2 ? c : c with { Hidden = 2 * c.Hidden, Intermediate = 2 * c.Intermediate };
    }

    public static readonly TheoryData<string> Names = ["gpt2", "llama", "qwen2"];
}
