using System.Numerics.Tensors;
using Rollout.Models.Training.Ops;

namespace Rollout.Models.Training.Decoder;

/// <summary>
/// Token-by-token generation with a key/value cache, on the trainer's own tensors and ops, so a model
/// can be scored during training without exporting it. One instance per sequence; not thread-safe.
/// </summary>
public sealed class CachedDecoder
{
    private readonly DecoderParameters<float> _p;
    private readonly RotaryEmbedding<float> _rope;
    private readonly float[][] _keys, _values;
    private readonly int _d, _qWidth, _kvWidth, _headDim, _group;
    private int _length;

    public CachedDecoder(DecoderParameters<float> parameters, RotaryEmbedding<float> rope)
    {
        _p = parameters;
        _rope = rope;
        var c = parameters.Config;
        (_d, _headDim, _group) = (c.Hidden, c.HeadDim, c.Heads / c.KvHeads);
        (_qWidth, _kvWidth) = (c.Heads * c.HeadDim, c.KvHeads * c.HeadDim);
        _keys = Enumerable.Range(0, c.Layers).Select(_ => new float[c.MaxPositions * _kvWidth]).ToArray();
        _values = Enumerable.Range(0, c.Layers).Select(_ => new float[c.MaxPositions * _kvWidth]).ToArray();
    }

    /// <summary>
    /// The completion after <paramref name="prompt"/>, up to <paramref name="maxNewTokens"/> tokens, stopping
    /// at (and leaving out) <paramref name="eosId"/>. Greedy when <paramref name="rng"/> is null, else sampled at temperature 1.
    /// </summary>
    public static int[] Generate(DecoderParameters<float> parameters, RotaryEmbedding<float> rope, IReadOnlyList<int> prompt,
        int maxNewTokens, int eosId, Random? rng)
    {
        var decoder = new CachedDecoder(parameters, rope);
        float[] logits = [];
        foreach (int t in prompt) logits = decoder.Step(t);
        var output = new List<int>();
        int limit = Math.Min(maxNewTokens, parameters.Config.MaxPositions - prompt.Count);
        while (output.Count < limit)
        {
            int next = rng == null ? TensorPrimitives.IndexOfMax(logits) : Sample(logits, rng);
            if (next == eosId) break;
            output.Add(next);
            if (output.Count < limit) logits = decoder.Step(next);
        }
        return [.. output];
    }

    /// <summary>Feeds one token at the next position and returns the logits for the token after it.</summary>
    public float[] Step(int token)
    {
        var c = _p.Config;
        int pos = _length++;
        var x = _p.Embedding.Value.AsSpan(token * _d, _d).ToArray();
        var normed = new float[_d];
        var inv = new float[1];
        var q = new float[_qWidth];
        var attn = new float[_qWidth];
        var proj = new float[_d];
        var gate = new float[c.Intermediate];
        var up = new float[c.Intermediate];
        int[] positions = [pos];
        for (int l = 0; l < c.Layers; l++)
        {
            var p = _p.Layers[l];
            RmsNorm.Forward(x, p.InputNorm.Value, normed, inv, 1, _d, c.NormEpsilon);
            Linear.Forward(normed, p.Q, p.QBias, q, 1);
            var k = new float[_kvWidth];
            var v = new float[_kvWidth];
            Linear.Forward(normed, p.K, p.KBias, k, 1);
            Linear.Forward(normed, p.V, p.VBias, v, 1);
            _rope.Rotate(q, positions, 1, c.Heads, inverse: false);
            _rope.Rotate(k, positions, 1, c.KvHeads, inverse: false);
            k.CopyTo(_keys[l], pos * _kvWidth);
            v.CopyTo(_values[l], pos * _kvWidth);
            Attend(q, _keys[l], _values[l], attn);
            Linear.Forward(attn, p.O, null, proj, 1);
            TensorPrimitives.Add(x, proj, x);
            RmsNorm.Forward(x, p.PostNorm.Value, normed, inv, 1, _d, c.NormEpsilon);
            Linear.Forward(normed, p.Gate, null, gate, 1);
            Linear.Forward(normed, p.Up, null, up, 1);
            SwiGlu.Forward(gate, up, gate, gate.Length);
            Linear.Forward(gate, p.Down, null, proj, 1);
            TensorPrimitives.Add(x, proj, x);
        }
        RmsNorm.Forward(x, _p.FinalNorm.Value, normed, inv, 1, _d, c.NormEpsilon);
        var logits = new float[c.VocabSize];
        Linear.Forward(normed, _p.Head, null, logits, 1);
        return logits;
    }

    private void Attend(float[] q, float[] keys, float[] values, float[] output)
    {
        float scale = 1 / MathF.Sqrt(_headDim);
        var scores = new float[_length];
        for (int h = 0; h < _qWidth / _headDim; h++)
        {
            int kvOffset = h / _group * _headDim;
            var qh = q.AsSpan(h * _headDim, _headDim);
            for (int j = 0; j < _length; j++)
                scores[j] = TensorPrimitives.Dot(qh, keys.AsSpan(j * _kvWidth + kvOffset, _headDim)) * scale;
            StableSoftmax.InPlace(scores.AsSpan(0, _length));
            var oh = output.AsSpan(h * _headDim, _headDim);
            oh.Clear();
            for (int j = 0; j < _length; j++)
                TensorPrimitives.MultiplyAdd(values.AsSpan(j * _kvWidth + kvOffset, _headDim), scores[j], oh, oh);
        }
    }

    private static int Sample(float[] logits, Random rng)
    {
        var probs = logits.ToArray();
        StableSoftmax.InPlace(probs.AsSpan());
        double u = rng.NextDouble(), cumulative = 0;
        for (int i = 0; i < probs.Length; i++)
            if ((cumulative += probs[i]) > u) return i;
        return TensorPrimitives.IndexOfMax(probs);
    }
}
