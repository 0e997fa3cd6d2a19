using Rollout.Engine.Model;

namespace Rollout.Models.Weights;

/// <summary>
/// The Hugging Face checkpoint tensor names and shapes of each family. GPT-2 stores its linear
/// layers as Conv1D, [in, out]; Llama and Qwen2 store nn.Linear, [out, in].
/// </summary>
public static class CheckpointLayout
{
    public const string Gpt2Embedding = "transformer.wte.weight";
    public const string Gpt2Positions = "transformer.wpe.weight";
    public const string LlamaEmbedding = "model.embed_tokens.weight";
    public const string LmHead = "lm_head.weight";

    public static string Gpt2Block(int layer) => $"transformer.h.{layer}.";
    public static string LlamaLayer(int layer) => $"model.layers.{layer}.";

    public static string EmbeddingName(ModelConfig c) => c.Architecture == Architecture.Gpt2 ? Gpt2Embedding : LlamaEmbedding;

    /// <summary>The name of the output head's [vocab, hidden] matrix: the embedding when tied.</summary>
    public static string OutputHeadName(ModelConfig c) => c.TieWordEmbeddings ? EmbeddingName(c) : LmHead;

    /// <summary>Every tensor a checkpoint of <paramref name="c"/> must hold, in a fixed order.</summary>
    public static IReadOnlyList<(string Name, int[] Shape)> Expected(ModelConfig c)
    {
        var list = new List<(string, int[])>();
        int d = c.Hidden, v = c.VocabSize, ff = c.Intermediate;
        if (c.Architecture == Architecture.Gpt2)
        {
            list.Add((Gpt2Embedding, [v, d]));
            list.Add((Gpt2Positions, [c.MaxPositions, d]));
            for (int i = 0; i < c.Layers; i++)
            {
                var p = Gpt2Block(i);
                list.Add((p + "ln_1.weight", [d])); list.Add((p + "ln_1.bias", [d]));
                list.Add((p + "attn.c_attn.weight", [d, 3 * d])); list.Add((p + "attn.c_attn.bias", [3 * d]));
                list.Add((p + "attn.c_proj.weight", [d, d])); list.Add((p + "attn.c_proj.bias", [d]));
                list.Add((p + "ln_2.weight", [d])); list.Add((p + "ln_2.bias", [d]));
                list.Add((p + "mlp.c_fc.weight", [d, ff])); list.Add((p + "mlp.c_fc.bias", [ff]));
                list.Add((p + "mlp.c_proj.weight", [ff, d])); list.Add((p + "mlp.c_proj.bias", [d]));
            }
            list.Add(("transformer.ln_f.weight", [d])); list.Add(("transformer.ln_f.bias", [d]));
        }
        else
        {
            int qDim = c.Heads * c.HeadDim, kvDim = c.KvHeads * c.HeadDim;
            list.Add((LlamaEmbedding, [v, d]));
            for (int i = 0; i < c.Layers; i++)
            {
                var p = LlamaLayer(i);
                list.Add((p + "input_layernorm.weight", [d]));
                list.Add((p + "self_attn.q_proj.weight", [qDim, d]));
                list.Add((p + "self_attn.k_proj.weight", [kvDim, d]));
                list.Add((p + "self_attn.v_proj.weight", [kvDim, d]));
                if (c.AttentionBias)
                {
                    list.Add((p + "self_attn.q_proj.bias", [qDim]));
                    list.Add((p + "self_attn.k_proj.bias", [kvDim]));
                    list.Add((p + "self_attn.v_proj.bias", [kvDim]));
                }
                list.Add((p + "self_attn.o_proj.weight", [d, qDim]));
                list.Add((p + "post_attention_layernorm.weight", [d]));
                list.Add((p + "mlp.gate_proj.weight", [ff, d]));
                list.Add((p + "mlp.up_proj.weight", [ff, d]));
                list.Add((p + "mlp.down_proj.weight", [d, ff]));
            }
            list.Add(("model.norm.weight", [d]));
        }
        if (!c.TieWordEmbeddings) list.Add((LmHead, [v, d]));
        return list;
    }
}
