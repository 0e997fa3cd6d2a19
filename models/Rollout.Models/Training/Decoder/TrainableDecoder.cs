using System.Numerics;
using System.Numerics.Tensors;
using Rollout.Models.Training.Ops;

namespace Rollout.Models.Training.Decoder;

/// <summary>
/// Forward and backward of a Llama / Qwen2 decoder over packed batches: RMSNorm, RoPE (rotate_half),
/// grouped-query causal attention, SwiGLU MLP, tied or untied head, (weighted) cross-entropy on completion tokens.
/// Works in float32 for training and float64 for gradient checks.
/// </summary>
public sealed class TrainableDecoder<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public DecoderParameters<T> Parameters { get; }
    private readonly RotaryEmbedding<T> _rope;
    private readonly CausalAttention _attention;
    private readonly int _d, _qWidth, _kvWidth, _ff, _vocab;

    public TrainableDecoder(DecoderParameters<T> parameters)
    {
        Parameters = parameters;
        var c = parameters.Config;
        _rope = new RotaryEmbedding<T>(c.HeadDim, c.MaxPositions, c.RopeTheta);
        _attention = new CausalAttention(c.Heads, c.KvHeads, c.HeadDim);
        (_d, _qWidth, _kvWidth, _ff, _vocab) = (c.Hidden, c.Heads * c.HeadDim, c.KvHeads * c.HeadDim, c.Intermediate, c.VocabSize);
    }

    /// <param name="temperature">τ of the loss's softmax(logits / τ): 1 for supervised training, the sampling temperature for a policy update.</param>
    public DecoderPass<T> Forward(TokenBatch batch, double temperature = 1)
    {
        var c = Parameters.Config;
        int rows = batch.Rows;
        var (probOffsets, probTotal) = _attention.ProbabilityLayout(batch);
        var x = new T[rows * _d];
        var emb = Parameters.Embedding.Value;
        for (int n = 0; n < rows; n++) emb.AsSpan(batch.Tokens[n] * _d, _d).CopyTo(x.AsSpan(n * _d, _d));

        var layers = new LayerActivations<T>[c.Layers];
        for (int l = 0; l < c.Layers; l++)
        {
            var p = Parameters.Layers[l];
            var a = layers[l] = new LayerActivations<T>
            {
                Input = x, InputInvRms = new T[rows], Normed = new T[rows * _d],
                Q = new T[rows * _qWidth], K = new T[rows * _kvWidth], V = new T[rows * _kvWidth],
                Probs = new T[probTotal], AttentionOut = new T[rows * _qWidth],
                Mid = new T[rows * _d], MidInvRms = new T[rows], MidNormed = new T[rows * _d],
                Gate = new T[rows * _ff], Up = new T[rows * _ff], Act = new T[rows * _ff],
            };
            RmsNorm.Forward(x, p.InputNorm.Value, a.Normed, a.InputInvRms, rows, _d, c.NormEpsilon);
            Linear.Forward(a.Normed, p.Q, p.QBias, a.Q, rows);
            Linear.Forward(a.Normed, p.K, p.KBias, a.K, rows);
            Linear.Forward(a.Normed, p.V, p.VBias, a.V, rows);
            _rope.Rotate(a.Q, batch.Positions, rows, c.Heads, inverse: false);
            _rope.Rotate(a.K, batch.Positions, rows, c.KvHeads, inverse: false);
            _attention.Forward(batch, a.Q, a.K, a.V, a.AttentionOut, a.Probs, probOffsets);
            Linear.Forward(a.AttentionOut, p.O, null, a.Mid, rows);
            AddInPlace(a.Mid, x);
            RmsNorm.Forward(a.Mid, p.PostNorm.Value, a.MidNormed, a.MidInvRms, rows, _d, c.NormEpsilon);
            Linear.Forward(a.MidNormed, p.Gate, null, a.Gate, rows);
            Linear.Forward(a.MidNormed, p.Up, null, a.Up, rows);
            SwiGlu.Forward(a.Gate, a.Up, a.Act, rows * _ff);
            var next = new T[rows * _d];
            Linear.Forward(a.Act, p.Down, null, next, rows);
            AddInPlace(next, a.Mid);
            x = next;
        }

        var finalInv = new T[rows];
        var finalNormed = new T[rows * _d];
        RmsNorm.Forward(x, Parameters.FinalNorm.Value, finalNormed, finalInv, rows, _d, c.NormEpsilon);
        var logits = new T[rows * _vocab];
        Linear.Forward(finalNormed, Parameters.Head, null, logits, rows);
        var dLogits = new T[rows * _vocab];
        double loss = CrossEntropy.LossAndGradient(logits, batch.Targets, batch.Weights, temperature, rows, _vocab, dLogits);
        return new DecoderPass<T>
        {
            Batch = batch, Loss = loss, Logits = logits, Layers = layers, ProbOffsets = probOffsets,
            FinalInput = x, FinalInvRms = finalInv, FinalNormed = finalNormed, DLogits = dLogits,
        };
    }

    /// <summary>Adds the gradient of the pass's loss to every parameter's <see cref="Parameter{T}.Grad"/>.</summary>
    public void Backward(DecoderPass<T> pass)
    {
        var batch = pass.Batch;
        int rows = batch.Rows;
        var dHidden = new T[rows * _d];
        Linear.InputGradient(pass.DLogits, Parameters.Head, dHidden, rows, accumulate: false);
        Linear.WeightGradient(pass.DLogits, Linear.Transposed(pass.FinalNormed, rows, _d), Parameters.Head, null, rows);
        var dx = new T[rows * _d];
        RmsNorm.Backward(dHidden, pass.FinalInput, Parameters.FinalNorm.Value, pass.FinalInvRms, dx, Parameters.FinalNorm.Grad, rows, _d);

        for (int l = Parameters.Layers.Length - 1; l >= 0; l--)
        {
            var p = Parameters.Layers[l];
            var a = pass.Layers[l];
            // MLP: dx is the gradient of the layer output, which is also that of the residual Mid.
            var dAct = new T[rows * _ff];
            Linear.InputGradient(dx, p.Down, dAct, rows, accumulate: false);
            Linear.WeightGradient(dx, Linear.Transposed(a.Act, rows, _ff), p.Down, null, rows);
            var dGate = new T[rows * _ff];
            var dUp = new T[rows * _ff];
            SwiGlu.Backward(dAct, a.Gate, a.Up, dGate, dUp, rows * _ff);
            var dNormed = new T[rows * _d];
            Linear.InputGradient(dGate, p.Gate, dNormed, rows, accumulate: false);
            Linear.InputGradient(dUp, p.Up, dNormed, rows, accumulate: true);
            var midNormedT = Linear.Transposed(a.MidNormed, rows, _d);
            Linear.WeightGradient(dGate, midNormedT, p.Gate, null, rows);
            Linear.WeightGradient(dUp, midNormedT, p.Up, null, rows);
            RmsNorm.Backward(dNormed, a.Mid, p.PostNorm.Value, a.MidInvRms, dx, p.PostNorm.Grad, rows, _d);

            // Attention: dx is now the gradient of Mid, and so of the attention output projection.
            var dAttn = new T[rows * _qWidth];
            Linear.InputGradient(dx, p.O, dAttn, rows, accumulate: false);
            Linear.WeightGradient(dx, Linear.Transposed(a.AttentionOut, rows, _qWidth), p.O, null, rows);
            var dq = new T[rows * _qWidth];
            var dk = new T[rows * _kvWidth];
            var dv = new T[rows * _kvWidth];
            _attention.Backward(batch, dAttn, a.Q, a.K, a.V, a.Probs, pass.ProbOffsets, dq, dk, dv);
            _rope.Rotate(dq, batch.Positions, rows, Parameters.Config.Heads, inverse: true);
            _rope.Rotate(dk, batch.Positions, rows, Parameters.Config.KvHeads, inverse: true);
            Linear.InputGradient(dq, p.Q, dNormed, rows, accumulate: false);
            Linear.InputGradient(dk, p.K, dNormed, rows, accumulate: true);
            Linear.InputGradient(dv, p.V, dNormed, rows, accumulate: true);
            var normedT = Linear.Transposed(a.Normed, rows, _d);
            Linear.WeightGradient(dq, normedT, p.Q, p.QBias, rows);
            Linear.WeightGradient(dk, normedT, p.K, p.KBias, rows);
            Linear.WeightGradient(dv, normedT, p.V, p.VBias, rows);
            RmsNorm.Backward(dNormed, a.Input, p.InputNorm.Value, a.InputInvRms, dx, p.InputNorm.Grad, rows, _d);
        }

        var dEmb = Parameters.Embedding.Grad;
        for (int n = 0; n < rows; n++)
        {
            var target = dEmb.AsSpan(batch.Tokens[n] * _d, _d);
            TensorPrimitives.Add<T>(target, dx.AsSpan(n * _d, _d), target);
        }
    }

    private static void AddInPlace(T[] target, T[] other) =>
        TensorPrimitives.Add<T>(target, other, target);
}
