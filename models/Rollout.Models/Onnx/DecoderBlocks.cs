using Rollout.Engine.Model;
using static Rollout.Models.Onnx.DecoderGraphWriter;
using static Rollout.Models.Onnx.GraphBuilder;
using static Rollout.Models.Weights.CheckpointLayout;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Rollout.Models.Onnx;

/// <summary>The pieces both decoder layouts build the same way: embedding, projections, MLP activations and the output head.</summary>
internal static class DecoderBlocks
{
    private const string Batch = "batch_size", Seq = "sequence_length";

    /// <summary>
    /// The inputs both layouts share, in Optimum's order: input_ids [batch, seq], attention_mask [batch, <paramref name="maskDim"/>],
    /// position_ids [batch, seq] when asked, past_key_values.{i}.key|value [batch, kv_heads, <paramref name="pastDim"/>, head_dim].
    /// </summary>
    public static void Inputs(GraphBuilder g, ModelConfig c, bool positionIds, string maskDim, string pastDim)
    {
        g.Input("input_ids", DataType.Int64, Batch, Seq);
        g.Input("attention_mask", DataType.Int64, Batch, maskDim);
        if (positionIds) g.Input("position_ids", DataType.Int64, Batch, Seq);
        for (int i = 0; i < c.Layers; i++)
        {
            g.Input(PastKey(i), DataType.Float, Batch, c.KvHeads, pastDim, c.HeadDim);
            g.Input(PastValue(i), DataType.Float, Batch, c.KvHeads, pastDim, c.HeadDim);
        }
    }

    /// <summary>logits [batch, seq, vocab] and present.{i}.key|value [batch, kv_heads, <paramref name="presentDim"/>, head_dim].</summary>
    public static void Outputs(GraphBuilder g, ModelConfig c, string presentDim)
    {
        g.Output("logits", DataType.Float, Batch, Seq, c.VocabSize);
        for (int i = 0; i < c.Layers; i++)
        {
            g.Output(PresentKey(i), DataType.Float, Batch, c.KvHeads, presentDim, c.HeadDim);
            g.Output(PresentValue(i), DataType.Float, Batch, c.KvHeads, presentDim, c.HeadDim);
        }
    }

    /// <summary>Token embedding of input_ids, plus GPT-2's learned position embedding at <paramref name="positions"/>.</summary>
    public static string Embed(GraphBuilder g, GraphWeights w, string positions)
    {
        string x = g.Op("Gather", [w[EmbeddingName(w.Config)], "input_ids"]);
        return w.Config.Architecture == Architecture.Gpt2 ? g.Op("Add", [x, g.Op("Gather", [w[Gpt2Positions], positions])]) : x;
    }

    /// <summary>nn.Linear, weight [out, in]: x Wᵀ (+ b).</summary>
    public static string Linear(GraphBuilder g, GraphWeights w, string input, string name, bool bias = false)
    {
        string y = g.Op("MatMul", [input, g.Op("Transpose", [w[name + ".weight"]], null, IntsAttr("perm", 1, 0))]);
        return bias ? g.Op("Add", [y, w[name + ".bias"]]) : y;
    }

    /// <summary>GPT-2 Conv1D, weight [in, out]: x W (+ b).</summary>
    public static string Conv1D(GraphBuilder g, GraphWeights w, string input, string name, bool bias = true)
    {
        string y = g.Op("MatMul", [input, w[name + ".weight"]]);
        return bias ? g.Op("Add", [y, w[name + ".bias"]]) : y;
    }

    /// <summary>Llama's MLP: down(silu(gate(h)) · up(h)).</summary>
    public static string SwiGlu(GraphBuilder g, GraphWeights w, string h, string prefix)
    {
        string gate = Linear(g, w, h, prefix + "mlp.gate_proj");
        string silu = g.Op("Mul", [gate, g.Op("Sigmoid", [gate])]);
        return Linear(g, w, g.Op("Mul", [silu, Linear(g, w, h, prefix + "mlp.up_proj")]), prefix + "mlp.down_proj");
    }

    /// <summary>gelu_new: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).</summary>
    public static string GeluTanh(GraphBuilder g, string x)
    {
        string cube = g.Op("Mul", [x, g.Op("Mul", [x, x])]);
        string inner = g.Op("Mul", [g.Op("Add", [x, g.Op("Mul", [cube, g.Float(0.044715f)])]), g.Float((float)Math.Sqrt(2 / Math.PI))]);
        string tanh = g.Op("Tanh", [inner]);
        return g.Op("Mul", [g.Op("Mul", [x, g.Float(0.5f)]), g.Op("Add", [tanh, g.Float(1f)])]);
    }

    /// <summary>Rotary frequencies θ^(−2e/head_dim), e = 0 … head_dim/2 − 1: Hugging Face's, which pairs element e with e + head_dim/2.</summary>
    public static double[] InverseFrequencies(ModelConfig c) =>
        Enumerable.Range(0, c.HeadDim / 2).Select(e => 1.0 / Math.Pow(c.RopeTheta, 2.0 * e / c.HeadDim)).ToArray();

    /// <summary>The output head on the final hidden state: the logits output.</summary>
    public static void Head(GraphBuilder g, GraphWeights w, string hidden)
    {
        string head = g.Op("Transpose", [w[OutputHeadName(w.Config)]], null, IntsAttr("perm", 1, 0));
        g.Op("MatMul", [hidden, head], "logits");
    }
}
