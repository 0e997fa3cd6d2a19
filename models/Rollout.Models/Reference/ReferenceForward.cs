using Rollout.Engine.Model;
using Rollout.Models.Weights;
using static Rollout.Models.Weights.CheckpointLayout;

namespace Rollout.Models.Reference;

/// <summary>Logits [T, V] and final hidden states [T, d] (after the final norm, the head's input) of one sequence.</summary>
public sealed record ReferenceOutput(double[][] Logits, double[][] Hidden);

/// <summary>
/// A plain float64 forward pass of GPT-2, Llama and Qwen2 straight from the Hugging Face tensors,
/// written as simple loops over one unpadded sequence. It is the test oracle for the ONNX graph,
/// the converter and the engine, so it favours obviousness over speed.
/// </summary>
public static class ReferenceForward
{
    public static ReferenceOutput Run(ModelWeights w, IReadOnlyList<int> tokens)
    {
        var c = w.Config;
        int n = tokens.Count;
        var x = new double[n][];
        var emb = w[EmbeddingName(c)];
        for (int t = 0; t < n; t++)
        {
            x[t] = Row(emb, tokens[t]);
            if (c.Architecture == Architecture.Gpt2) AddInPlace(x[t], Row(w[Gpt2Positions], t));
        }
        for (int layer = 0; layer < c.Layers; layer++)
            x = c.Architecture == Architecture.Gpt2 ? Gpt2Block(w, layer, x) : LlamaLayer(w, layer, x);

        var hidden = x.Select(row => c.Architecture == Architecture.Gpt2
            ? LayerNorm(row, w["transformer.ln_f.weight"], w["transformer.ln_f.bias"], c.NormEpsilon)
            : RmsNorm(row, w["model.norm.weight"], c.NormEpsilon)).ToArray();
        var head = w.OutputHead;
        var logits = hidden.Select(h => Enumerable.Range(0, c.VocabSize).Select(v => Dot(Row(head, v), h)).ToArray()).ToArray();
        return new ReferenceOutput(logits, hidden);
    }

    /// <summary>Greedy continuation: <paramref name="steps"/> argmax tokens after <paramref name="prompt"/>.</summary>
    public static int[] Greedy(ModelWeights w, IReadOnlyList<int> prompt, int steps)
    {
        var seq = prompt.ToList();
        for (int s = 0; s < steps; s++)
        {
            var last = Run(w, seq).Logits[^1];
            seq.Add(Array.IndexOf(last, last.Max()));
        }
        return seq.Skip(prompt.Count).ToArray();
    }

    private static double[][] Gpt2Block(ModelWeights w, int layer, double[][] x)
    {
        var c = w.Config;
        var p = CheckpointLayout.Gpt2Block(layer);
        int d = c.Hidden;
        var h = x.Select(r => LayerNorm(r, w[p + "ln_1.weight"], w[p + "ln_1.bias"], c.NormEpsilon)).ToArray();
        var qkv = h.Select(r => Conv1D(r, w[p + "attn.c_attn.weight"], w[p + "attn.c_attn.bias"])).ToArray();
        var q = qkv.Select(r => r[..d]).ToArray();
        var k = qkv.Select(r => r[d..(2 * d)]).ToArray();
        var v = qkv.Select(r => r[(2 * d)..]).ToArray();
        var attn = Attention(q, k, v, c.Heads, c.Heads, c.HeadDim);
        x = Add(x, attn.Select(r => Conv1D(r, w[p + "attn.c_proj.weight"], w[p + "attn.c_proj.bias"])).ToArray());
        h = x.Select(r => LayerNorm(r, w[p + "ln_2.weight"], w[p + "ln_2.bias"], c.NormEpsilon)).ToArray();
        var mlp = h.Select(r =>
        {
            var f = Conv1D(r, w[p + "mlp.c_fc.weight"], w[p + "mlp.c_fc.bias"]).Select(GeluTanh).ToArray();
            return Conv1D(f, w[p + "mlp.c_proj.weight"], w[p + "mlp.c_proj.bias"]);
        }).ToArray();
        return Add(x, mlp);
    }

    private static double[][] LlamaLayer(ModelWeights w, int layer, double[][] x)
    {
        var c = w.Config;
        var p = CheckpointLayout.LlamaLayer(layer);
        WeightTensor? Bias(string name) => c.AttentionBias ? w[p + name] : null;
        var h = x.Select(r => RmsNorm(r, w[p + "input_layernorm.weight"], c.NormEpsilon)).ToArray();
        var q = h.Select(r => Linear(r, w[p + "self_attn.q_proj.weight"], Bias("self_attn.q_proj.bias"))).ToArray();
        var k = h.Select(r => Linear(r, w[p + "self_attn.k_proj.weight"], Bias("self_attn.k_proj.bias"))).ToArray();
        var v = h.Select(r => Linear(r, w[p + "self_attn.v_proj.weight"], Bias("self_attn.v_proj.bias"))).ToArray();
        for (int t = 0; t < x.Length; t++)
        {
            Rope(q[t], t, c.Heads, c.HeadDim, c.RopeTheta);
            Rope(k[t], t, c.KvHeads, c.HeadDim, c.RopeTheta);
        }
        var attn = Attention(q, k, v, c.Heads, c.KvHeads, c.HeadDim);
        x = Add(x, attn.Select(r => Linear(r, w[p + "self_attn.o_proj.weight"], null)).ToArray());
        h = x.Select(r => RmsNorm(r, w[p + "post_attention_layernorm.weight"], c.NormEpsilon)).ToArray();
        var mlp = h.Select(r =>
        {
            var gate = Linear(r, w[p + "mlp.gate_proj.weight"], null);
            var up = Linear(r, w[p + "mlp.up_proj.weight"], null);
            var act = gate.Select((g, i) => g / (1 + Math.Exp(-g)) * up[i]).ToArray();
            return Linear(act, w[p + "mlp.down_proj.weight"], null);
        }).ToArray();
        return Add(x, mlp);
    }

    /// <summary>Causal attention; query head h reads key/value head h / (heads / kvHeads) (grouped-query attention).</summary>
    private static double[][] Attention(double[][] q, double[][] k, double[][] v, int heads, int kvHeads, int headDim)
    {
        int n = q.Length, group = heads / kvHeads;
        var output = new double[n][];
        for (int t = 0; t < n; t++)
        {
            output[t] = new double[heads * headDim];
            for (int h = 0; h < heads; h++)
            {
                int qo = h * headDim, ko = h / group * headDim;
                var scores = new double[t + 1];
                for (int j = 0; j <= t; j++)
                {
                    double s = 0;
                    for (int e = 0; e < headDim; e++) s += q[t][qo + e] * k[j][ko + e];
                    scores[j] = s / Math.Sqrt(headDim);
                }
                double max = scores.Max(), sum = 0;
                for (int j = 0; j <= t; j++) sum += scores[j] = Math.Exp(scores[j] - max);
                for (int j = 0; j <= t; j++)
                    for (int e = 0; e < headDim; e++) output[t][qo + e] += scores[j] / sum * v[j][ko + e];
            }
        }
        return output;
    }

    /// <summary>Rotary embedding, Hugging Face's rotate_half pairing: element e rotates with e + headDim/2.</summary>
    private static void Rope(double[] x, int position, int heads, int headDim, double theta)
    {
        int half = headDim / 2;
        for (int h = 0; h < heads; h++)
            for (int e = 0; e < half; e++)
            {
                double angle = position / Math.Pow(theta, 2.0 * e / headDim);
                double cos = Math.Cos(angle), sin = Math.Sin(angle);
                int i = h * headDim + e, j = i + half;
                (x[i], x[j]) = (x[i] * cos - x[j] * sin, x[j] * cos + x[i] * sin);
            }
    }

    private static double GeluTanh(double x) =>
        0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));

    private static double[] LayerNorm(double[] x, WeightTensor gamma, WeightTensor beta, double eps)
    {
        double mean = x.Average(), variance = x.Select(a => (a - mean) * (a - mean)).Average();
        double inv = 1 / Math.Sqrt(variance + eps);
        return x.Select((a, i) => (a - mean) * inv * gamma.Data[i] + beta.Data[i]).ToArray();
    }

    private static double[] RmsNorm(double[] x, WeightTensor gamma, double eps)
    {
        double inv = 1 / Math.Sqrt(x.Select(a => a * a).Average() + eps);
        return x.Select((a, i) => a * inv * gamma.Data[i]).ToArray();
    }

    /// <summary>GPT-2 Conv1D: weight [in, out], y = x W + b.</summary>
    private static double[] Conv1D(double[] x, WeightTensor weight, WeightTensor bias)
    {
        int inDim = weight.Shape[0], outDim = weight.Shape[1];
        var y = bias.Data.Select(b => (double)b).ToArray();
        for (int i = 0; i < inDim; i++)
            for (int o = 0; o < outDim; o++) y[o] += x[i] * weight[i, o];
        return y;
    }

    /// <summary>nn.Linear: weight [out, in], y = W x + b.</summary>
    private static double[] Linear(double[] x, WeightTensor weight, WeightTensor? bias)
    {
        var y = new double[weight.Shape[0]];
        for (int o = 0; o < y.Length; o++) y[o] = Dot(Row(weight, o), x) + (bias?.Data[o] ?? 0);
        return y;
    }

    private static double[] Row(WeightTensor m, int r) =>
        Enumerable.Range(0, m.Shape[1]).Select(c => (double)m[r, c]).ToArray();

    private static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    private static void AddInPlace(double[] a, double[] b) { for (int i = 0; i < a.Length; i++) a[i] += b[i]; }

    private static double[][] Add(double[][] a, double[][] b) =>
        a.Select((row, t) => row.Select((x, i) => x + b[t][i]).ToArray()).ToArray();
}
