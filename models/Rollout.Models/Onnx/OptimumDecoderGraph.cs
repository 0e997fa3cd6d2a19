using Rollout.Engine.Model;
using static Rollout.Models.Onnx.DecoderGraphWriter;
using static Rollout.Models.Onnx.GraphBuilder;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Rollout.Models.Onnx;

/// <summary>
/// Optimum's merged-decoder-with-past interface in standard opset-17 operators only, so ONNX Runtime,
/// ONNX Runtime GenAI and transformers.js all run it. Inputs: <c>input_ids</c> [batch, seq],
/// <c>attention_mask</c> [batch, past+seq], <c>position_ids</c> [batch, seq] (optional),
/// <c>past_key_values.{i}.key|value</c> [batch, kv_heads, past, head_dim]. Outputs: <c>logits</c>
/// [batch, seq, vocab] and <c>present.{i}.key|value</c> [batch, kv_heads, past+seq, head_dim].
/// </summary>
internal static class OptimumDecoderGraph
{
    /// <summary>Masked attention scores: large and finite, so a row with every key masked gives a uniform softmax, not NaN.</summary>
    private const float MaskedScore = -1e9f;

    private const string Past = "past_sequence_length", Total = "past_sequence_length + sequence_length";

    public static void Build(GraphBuilder g, GraphWeights w, bool positionIdsInput)
    {
        var c = w.Config;
        DecoderBlocks.Inputs(g, c, positionIdsInput, Total, Past);

        string allowed = BuildMask(g, positionIdsInput, out var positions);
        var ctx = new Context(g, w, allowed, c.Architecture == Architecture.Gpt2 ? null : BuildRotary(g, c, positions));
        string x = DecoderBlocks.Embed(g, w, positions);
        for (int i = 0; i < c.Layers; i++)
            x = c.Architecture == Architecture.Gpt2 ? Gpt2Block(ctx, i, x) : LlamaLayer(ctx, i, x);

        string hidden = c.Architecture == Architecture.Gpt2
            ? g.Op("LayerNormalization", [x, w["transformer.ln_f.weight"], w["transformer.ln_f.bias"]], FinalHiddenName,
                IntAttr("axis", -1), FloatAttr("epsilon", (float)c.NormEpsilon))
            : RmsNorm(ctx, x, "model.norm.weight", FinalHiddenName);
        DecoderBlocks.Head(g, w, hidden);

        DecoderBlocks.Outputs(g, c, Total);
    }

    /// <summary>What every layer reads: the builder, the weights, the attention mask and, for Llama and Qwen2, the rotary cos/sin.</summary>
    private sealed record Context(GraphBuilder G, GraphWeights W, string Allowed, (string Cos, string Sin)? Rotary);

    /// <summary>
    /// Boolean [batch, 1, seq, total]: query i (absolute index past+i) may see key j iff j ≤ past+i
    /// and attention_mask[b, j] = 1. Also yields the positions [batch, seq], from the input or the mask.
    /// </summary>
    private static string BuildMask(GraphBuilder g, bool positionIdsInput, out string positions)
    {
        string total = g.Op("Shape", ["attention_mask"], null, IntAttr("start", 1), IntAttr("end", 2));
        string seq = g.Op("Shape", ["input_ids"], null, IntAttr("start", 1), IntAttr("end", 2));
        string past = g.Op("Sub", [total, seq]);
        string totalScalar = g.Op("Squeeze", [total, g.Int64s(0)]);
        string pastScalar = g.Op("Squeeze", [past, g.Int64s(0)]);
        string keyIndex = g.Op("Range", [g.Int64Scalar(0), totalScalar, g.Int64Scalar(1)]);
        string queryIndex = g.Op("Range", [pastScalar, totalScalar, g.Int64Scalar(1)]);
        string causal = g.Op("LessOrEqual", [g.Op("Unsqueeze", [keyIndex, g.Int64s(0)]), g.Op("Unsqueeze", [queryIndex, g.Int64s(1)])]);
        string present = g.Op("Cast", ["attention_mask"], null, IntAttr("to", (int)DataType.Bool));
        string allowed = g.Op("And", [causal, g.Op("Unsqueeze", [present, g.Int64s(1, 2)])]);

        if (positionIdsInput) positions = "position_ids";
        else
        {
            // HF: position_ids = cumsum(mask) - 1, set to 1 where masked, last seq columns.
            string cumsum = g.Op("Sub", [g.Op("CumSum", ["attention_mask", g.Int64Scalar(1)]), g.Int64s(1)]);
            string filled = g.Op("Where", [present, cumsum, g.Int64s(1)]);
            positions = g.Op("Slice", [filled, past, total, g.Int64s(1)]);
        }
        return allowed;
    }

    /// <summary>cos and sin [batch, 1, seq, head_dim] of HF's rotary embedding: angle = position · θ^(−2e/head_dim), halves repeated.</summary>
    private static (string, string) BuildRotary(GraphBuilder g, ModelConfig c, string positions)
    {
        string pos = g.Op("Unsqueeze", [g.Op("Cast", [positions], null, IntAttr("to", (int)DataType.Float)), g.Int64s(2)]);
        string freqs = g.Op("Mul", [pos, g.Floats(DecoderBlocks.InverseFrequencies(c).Select(f => (float)f).ToArray())]);
        string angles = g.Op("Concat", [freqs, freqs], null, IntAttr("axis", -1));
        return (g.Op("Unsqueeze", [g.Op("Cos", [angles]), g.Int64s(1)]),
                g.Op("Unsqueeze", [g.Op("Sin", [angles]), g.Int64s(1)]));
    }

    private static string Gpt2Block(Context ctx, int layer, string x)
    {
        var (g, w) = (ctx.G, ctx.W);
        var c = w.Config;
        var p = Weights.CheckpointLayout.Gpt2Block(layer);
        int d = c.Hidden;
        string LayerNorm(string input, string name) => g.Op("LayerNormalization", [input, w[p + name + ".weight"], w[p + name + ".bias"]],
            null, IntAttr("axis", -1), FloatAttr("epsilon", (float)c.NormEpsilon));

        string qkv = DecoderBlocks.Conv1D(g, w, LayerNorm(x, "ln_1"), p + "attn.c_attn");
        var parts = g.OpMulti("Split", [qkv, g.Int64s(d, d, d)], [$"l{layer}_q", $"l{layer}_k", $"l{layer}_v"], IntAttr("axis", -1));
        string attn = Attention(ctx, layer, parts[0], parts[1], parts[2]);
        x = g.Op("Add", [x, DecoderBlocks.Conv1D(g, w, attn, p + "attn.c_proj")]);

        string f = DecoderBlocks.Conv1D(g, w, LayerNorm(x, "ln_2"), p + "mlp.c_fc");
        return g.Op("Add", [x, DecoderBlocks.Conv1D(g, w, DecoderBlocks.GeluTanh(g, f), p + "mlp.c_proj")]);
    }

    private static string LlamaLayer(Context ctx, int layer, string x)
    {
        var (g, w) = (ctx.G, ctx.W);
        var c = w.Config;
        var p = Weights.CheckpointLayout.LlamaLayer(layer);

        string h = RmsNorm(ctx, x, p + "input_layernorm.weight");
        string q = DecoderBlocks.Linear(g, w, h, p + "self_attn.q_proj", c.AttentionBias);
        string k = DecoderBlocks.Linear(g, w, h, p + "self_attn.k_proj", c.AttentionBias);
        string v = DecoderBlocks.Linear(g, w, h, p + "self_attn.v_proj", c.AttentionBias);
        x = g.Op("Add", [x, DecoderBlocks.Linear(g, w, Attention(ctx, layer, q, k, v), p + "self_attn.o_proj")]);

        h = RmsNorm(ctx, x, p + "post_attention_layernorm.weight");
        return g.Op("Add", [x, DecoderBlocks.SwiGlu(g, w, h, p)]);
    }

    /// <summary>
    /// Multi-head attention over the cache: q [b, s, heads·hd], k and v [b, s, kv·hd] → [b, s, heads·hd].
    /// Appends k, v to the past to form the present outputs; kv heads are repeated for grouped-query attention.
    /// </summary>
    private static string Attention(Context ctx, int layer, string q, string k, string v)
    {
        var g = ctx.G;
        var c = ctx.W.Config;
        int hd = c.HeadDim;
        string Heads(string t, int n) => g.Op("Transpose", [g.Op("Reshape", [t, g.Int64s(0, 0, n, hd)])], null, IntsAttr("perm", 0, 2, 1, 3));
        q = Heads(q, c.Heads);
        k = Heads(k, c.KvHeads);
        v = Heads(v, c.KvHeads);
        if (ctx.Rotary is var (cos, sin))
        {
            q = Rotate(g, q, cos, sin, hd);
            k = Rotate(g, k, cos, sin, hd);
        }
        k = g.Op("Concat", [PastKey(layer), k], PresentKey(layer), IntAttr("axis", 2));
        v = g.Op("Concat", [PastValue(layer), v], PresentValue(layer), IntAttr("axis", 2));
        int group = c.Heads / c.KvHeads;
        if (group > 1)
        {
            string Repeat(string t) => g.Op("Reshape", [g.Op("Expand", [g.Op("Unsqueeze", [t, g.Int64s(2)]), g.Int64s(1, 1, group, 1, 1)]),
                g.Int64s(0, c.Heads, -1, hd)]);
            k = Repeat(k);
            v = Repeat(v);
        }
        string scores = g.Op("Mul", [g.Op("MatMul", [q, g.Op("Transpose", [k], null, IntsAttr("perm", 0, 1, 3, 2))]), g.Float((float)(1 / Math.Sqrt(hd)))]);
        string masked = g.Op("Where", [ctx.Allowed, scores, g.Float(MaskedScore)]);
        string probs = g.Op("Softmax", [masked], null, IntAttr("axis", -1));
        string output = g.Op("Transpose", [g.Op("MatMul", [probs, v])], null, IntsAttr("perm", 0, 2, 1, 3));
        return g.Op("Reshape", [output, g.Int64s(0, 0, c.Heads * hd)]);
    }

    /// <summary>HF rotary: x·cos + rotate_half(x)·sin, rotate_half(x) = [−x₂, x₁] over the two halves of head_dim.</summary>
    private static string Rotate(GraphBuilder g, string x, string cos, string sin, int headDim)
    {
        var halves = g.OpMulti("Split", [x, g.Int64s(headDim / 2, headDim / 2)], [x + "_h1", x + "_h2"], IntAttr("axis", -1));
        string rotated = g.Op("Concat", [g.Op("Neg", [halves[1]]), halves[0]], null, IntAttr("axis", -1));
        return g.Op("Add", [g.Op("Mul", [x, cos]), g.Op("Mul", [rotated, sin])]);
    }

    private static string RmsNorm(Context ctx, string x, string weight, string? output = null)
    {
        var g = ctx.G;
        string meanSquare = g.Op("ReduceMean", [g.Op("Mul", [x, x])], null, IntsAttr("axes", -1), IntAttr("keepdims", 1));
        string inv = g.Op("Reciprocal", [g.Op("Sqrt", [g.Op("Add", [meanSquare, g.Float((float)ctx.W.Config.NormEpsilon)])])]);
        return g.Op("Mul", [g.Op("Mul", [x, inv]), ctx.W[weight]], output);
    }
}
