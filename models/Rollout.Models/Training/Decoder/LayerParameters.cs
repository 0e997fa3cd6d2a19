using System.Numerics;
using Rollout.Models.Weights;

namespace Rollout.Models.Training.Decoder;

/// <summary>The tensors of one Llama / Qwen2 decoder layer; the q/k/v biases exist for Qwen2 only.</summary>
public sealed class LayerParameters<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public Parameter<T> InputNorm { get; }
    public Parameter<T> Q { get; }
    public Parameter<T> K { get; }
    public Parameter<T> V { get; }
    public Parameter<T>? QBias { get; }
    public Parameter<T>? KBias { get; }
    public Parameter<T>? VBias { get; }
    public Parameter<T> O { get; }
    public Parameter<T> PostNorm { get; }
    public Parameter<T> Gate { get; }
    public Parameter<T> Up { get; }
    public Parameter<T> Down { get; }

    internal LayerParameters(IReadOnlyDictionary<string, Parameter<T>> all, int layer, bool attentionBias)
    {
        var p = CheckpointLayout.LlamaLayer(layer);
        InputNorm = all[p + "input_layernorm.weight"];
        Q = all[p + "self_attn.q_proj.weight"];
        K = all[p + "self_attn.k_proj.weight"];
        V = all[p + "self_attn.v_proj.weight"];
        if (attentionBias)
        {
            QBias = all[p + "self_attn.q_proj.bias"];
            KBias = all[p + "self_attn.k_proj.bias"];
            VBias = all[p + "self_attn.v_proj.bias"];
        }
        O = all[p + "self_attn.o_proj.weight"];
        PostNorm = all[p + "post_attention_layernorm.weight"];
        Gate = all[p + "mlp.gate_proj.weight"];
        Up = all[p + "mlp.up_proj.weight"];
        Down = all[p + "mlp.down_proj.weight"];
    }
}
