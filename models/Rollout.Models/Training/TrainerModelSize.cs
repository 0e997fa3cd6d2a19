using Rollout.Engine.Model;

namespace Rollout.Models.Training;

/// <summary>Model shapes sized for CPU training, all with grouped-query attention.</summary>
public enum TrainerModelSize { Tiny, Small, Medium }

public static class TrainerModelSizes
{
    /// <summary>
    /// Tiny ≈ 0.1M, Small ≈ 0.8M, Medium ≈ 2.4M parameters at a 384-token vocabulary. Qwen2 gets q/k/v
    /// biases and a tied head, Llama neither, as the families' small models have.
    /// </summary>
    public static ModelConfig Config(TrainerModelSize size, Architecture architecture, int vocabSize, int eosId, int maxPositions)
    {
        var (layers, hidden, heads, kvHeads, intermediate) = size switch
        {
            TrainerModelSize.Tiny => (2, 64, 4, 2, 192),
            TrainerModelSize.Small => (4, 128, 4, 2, 384),
            TrainerModelSize.Medium => (6, 192, 6, 2, 512),
            _ => throw new ArgumentOutOfRangeException(nameof(size)),
        };
        if (architecture == Architecture.Gpt2) throw new ArgumentException("the trainer covers llama and qwen2, not gpt2");
        return new ModelConfig
        {
            Architecture = architecture, Layers = layers, Hidden = hidden, Heads = heads, KvHeads = kvHeads,
            Intermediate = intermediate, VocabSize = vocabSize, MaxPositions = maxPositions, NormEpsilon = 1e-6,
            // Contexts are short: the classic base keeps every rotary frequency useful inside them.
            RopeTheta = 10_000, TieWordEmbeddings = architecture == Architecture.Qwen2, BosTokenId = eosId, EosTokenIds = [eosId],
        };
    }
}
