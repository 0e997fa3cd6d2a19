using Rollout.Engine.Model;
using static Rollout.Models.Onnx.DecoderGraphWriter;
using static Rollout.Models.Onnx.GraphBuilder;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Rollout.Models.Onnx;

/// <summary>
/// The layout ONNX Runtime GenAI's model builder writes: com.microsoft GroupQueryAttention (rotary inside
/// it for Llama and Qwen2), SimplifiedLayerNormalization / SkipSimplifiedLayerNormalization (RMSNorm) or
/// LayerNormalization / SkipLayerNormalization (GPT-2), plain MatMul projections.
/// Inputs: <c>input_ids</c> [batch, seq], <c>attention_mask</c> [batch, total], <c>position_ids</c> [batch, seq]
/// (GPT-2 only), <c>past_key_values.{i}.key|value</c> [batch, kv_heads, max_sequence_length, head_dim].
/// Outputs: <c>logits</c> [batch, seq, vocab], <c>present.{i}.key|value</c> of the past's shape, and
/// <see cref="DecoderGraphWriter.FinalHiddenName"/> [batch, seq, hidden].
/// <para>
/// The caller binds present to the same buffer as past; padding is on the right. Row b's real tokens fill
/// cache slots 0 … seqlens_k[b] with seqlens_k = Σ attention_mask[b] − 1. A prompt step (seq = the mask's
/// width) attends from slot 0 at positions 0 … seq−1; a decode step (seq = 1) writes its key at slot
/// seqlens_k[b], position seqlens_k[b], and attends to slots 0 … seqlens_k[b].
/// </para>
/// </summary>
internal static class FusedDecoderGraph
{
    /// <summary>The mask's width as GenAI's builder names it; max_sequence_length is the length ONNX Runtime's GroupQueryAttention spec gives a cache that past and present share.</summary>
    private const string Total = "total_sequence_length", MaxSeq = "max_sequence_length";

    /// <summary>ONNX Runtime's GroupQueryAttention wants head_size % 8 = 0, and % 16 = 0 with its rotary caches.</summary>
    public static string? Unsupported(ModelConfig c)
    {
        int multiple = c.Architecture == Architecture.Gpt2 ? 8 : 16;
        return c.HeadDim % multiple == 0 ? null
            : $"the fused graph's GroupQueryAttention needs a head size that is a multiple of {multiple} for {c.ModelType} (hidden / heads = {c.HeadDim})";
    }

    public static void Build(GraphBuilder g, GraphWeights w)
    {
        var c = w.Config;
        bool gpt2 = c.Architecture == Architecture.Gpt2;
        DecoderBlocks.Inputs(g, c, positionIds: gpt2, Total, MaxSeq);

        // As GenAI's builder computes them: the index of each row's last real token, and the mask's width.
        string seqlens = g.Op("Cast", [g.Op("Sub", [g.Op("ReduceSum", ["attention_mask", g.Int64s(1)], null, IntAttr("keepdims", 0)), g.Int64s(1)])],
            "seqlens_k", IntAttr("to", (int)DataType.Int32));
        string total = g.Op("Cast", [g.Op("Gather", [g.Op("Shape", ["attention_mask"]), g.Int64Scalar(1)])],
            "total_seq_len", IntAttr("to", (int)DataType.Int32));
        var attention = new AttentionInputs(seqlens, total, gpt2 ? null : RotaryCaches(g, c));

        var stream = new ResidualStream(g, w, DecoderBlocks.Embed(g, w, "position_ids"));
        for (int i = 0; i < c.Layers; i++)
        {
            if (gpt2) Gpt2Block(g, w, stream, attention, i);
            else LlamaLayer(g, w, stream, attention, i);
        }
        string hidden = gpt2 ? stream.Norm("transformer.ln_f", FinalHiddenName) : stream.Norm("model.norm", FinalHiddenName);
        DecoderBlocks.Head(g, w, hidden);

        DecoderBlocks.Outputs(g, c, MaxSeq);
        g.Output(FinalHiddenName, DataType.Float, "batch_size", "sequence_length", c.Hidden);
    }

    /// <summary>What every GroupQueryAttention node reads besides its layer's q, k, v and cache.</summary>
    private sealed record AttentionInputs(string SeqlensK, string TotalSequenceLength, (string Cos, string Sin)? Rotary);

    /// <summary>
    /// cos and sin [max_positions, head_dim/2] of Hugging Face's rotary angles, computed in float64. With
    /// rotary_interleaved = 0 the kernel pairs element e with e + head_dim/2, as HF's rotate_half does.
    /// </summary>
    private static (string, string) RotaryCaches(GraphBuilder g, ModelConfig c)
    {
        var inv = DecoderBlocks.InverseFrequencies(c);
        int half = inv.Length;
        var cos = new float[c.MaxPositions * half];
        var sin = new float[c.MaxPositions * half];
        for (int p = 0; p < c.MaxPositions; p++)
            for (int e = 0; e < half; e++)
            {
                cos[p * half + e] = (float)Math.Cos(p * inv[e]);
                sin[p * half + e] = (float)Math.Sin(p * inv[e]);
            }
        return (g.FloatTable("cos_cache", cos, c.MaxPositions, half), g.FloatTable("sin_cache", sin, c.MaxPositions, half));
    }

    private static void Gpt2Block(GraphBuilder g, GraphWeights w, ResidualStream stream, AttentionInputs a, int layer)
    {
        var c = w.Config;
        var p = Weights.CheckpointLayout.Gpt2Block(layer);
        // c_attn's columns are q, k, v: GroupQueryAttention's packed layout.
        string qkv = DecoderBlocks.Conv1D(g, w, stream.Norm(p + "ln_1"), p + "attn.c_attn");
        string attn = Attention(g, c, a, layer, [qkv, "", ""], doRotary: false);
        stream.Add(DecoderBlocks.Conv1D(g, w, attn, p + "attn.c_proj", bias: false), p + "attn.c_proj.bias");
        string f = DecoderBlocks.Conv1D(g, w, stream.Norm(p + "ln_2"), p + "mlp.c_fc");
        stream.Add(DecoderBlocks.Conv1D(g, w, DecoderBlocks.GeluTanh(g, f), p + "mlp.c_proj", bias: false), p + "mlp.c_proj.bias");
    }

    private static void LlamaLayer(GraphBuilder g, GraphWeights w, ResidualStream stream, AttentionInputs a, int layer)
    {
        var c = w.Config;
        var p = Weights.CheckpointLayout.LlamaLayer(layer);
        string h = stream.Norm(p + "input_layernorm");
        string q = DecoderBlocks.Linear(g, w, h, p + "self_attn.q_proj", c.AttentionBias);
        string k = DecoderBlocks.Linear(g, w, h, p + "self_attn.k_proj", c.AttentionBias);
        string v = DecoderBlocks.Linear(g, w, h, p + "self_attn.v_proj", c.AttentionBias);
        string attn = Attention(g, c, a, layer, [q, k, v], doRotary: true);
        stream.Add(DecoderBlocks.Linear(g, w, attn, p + "self_attn.o_proj"));
        stream.Add(DecoderBlocks.SwiGlu(g, w, stream.Norm(p + "post_attention_layernorm"), p));
    }

    /// <summary>GroupQueryAttention over the layer's shared cache buffer: writes present.{i}.key|value, returns [b, s, heads·hd].</summary>
    private static string Attention(GraphBuilder g, ModelConfig c, AttentionInputs a, int layer, string[] qkv, bool doRotary)
    {
        string[] inputs = [.. qkv, PastKey(layer), PastValue(layer), a.SeqlensK, a.TotalSequenceLength];
        if (doRotary && a.Rotary is var (cos, sin)) inputs = [.. inputs, cos, sin];
        return g.MicrosoftOp("GroupQueryAttention", inputs, [$"l{layer}_attention", PresentKey(layer), PresentValue(layer)],
            IntAttr("num_heads", c.Heads), IntAttr("kv_num_heads", c.KvHeads),
            IntAttr("do_rotary", doRotary ? 1 : 0), IntAttr("rotary_interleaved", 0))[0];
    }

    /// <summary>
    /// The residual stream with its norms fused the way GenAI's builder fuses them: each norm after the first
    /// also adds the pending sublayer output (and its bias) into the stream, as Skip(Simplified)LayerNormalization.
    /// </summary>
    private sealed class ResidualStream(GraphBuilder g, GraphWeights w, string embedded)
    {
        private string _residual = embedded;
        private (string Output, string? Bias)? _pending;

        /// <summary>A sublayer's output (and, for GPT-2, the bias its projection left out) to add before the next norm.</summary>
        public void Add(string output, string? bias = null) => _pending = (output, bias);

        /// <summary>The norm <paramref name="name"/> (.weight, and .bias for GPT-2) of the stream with the pending output added.</summary>
        public string Norm(string name, string? output = null)
        {
            bool gpt2 = w.Config.Architecture == Architecture.Gpt2;
            var epsilon = FloatAttr("epsilon", (float)w.Config.NormEpsilon);
            string[] parameters = gpt2 ? [w[name + ".weight"], w[name + ".bias"]] : [w[name + ".weight"]];
            output ??= $"{name}_out";
            if (_pending is not var (delta, bias))
                return g.Op(gpt2 ? "LayerNormalization" : "SimplifiedLayerNormalization", [_residual, .. parameters], output,
                    IntAttr("axis", -1), epsilon);
            string[] inputs = bias == null ? [delta, _residual, .. parameters] : [delta, _residual, .. parameters, w[bias]];
            string sum = output + "_residual";
            g.MicrosoftOp(gpt2 ? "SkipLayerNormalization" : "SkipSimplifiedLayerNormalization", inputs, [output, "", "", sum], epsilon);
            _residual = sum;
            _pending = null;
            return output;
        }
    }
}
