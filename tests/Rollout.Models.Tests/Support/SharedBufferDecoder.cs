using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Rollout.Engine.Model;
using Rollout.Models.Onnx;

namespace Rollout.Models.Tests.Support;

/// <summary>Logits [batch, seq, vocab] and final hidden states [batch, seq, hidden] of one fused-graph run.</summary>
internal sealed record FusedStep(float[] Logits, float[] Hidden, int Seq);

/// <summary>
/// Runs a fused decoder graph straight through ONNX Runtime the way GenAI does with a shared buffer:
/// one preallocated [batch, kv_heads, capacity, head_dim] cache per layer and kind, bound as both
/// past_key_values.{i}.* and present.{i}.*, right-padded rows of their own lengths.
/// </summary>
internal sealed class SharedBufferDecoder : IDisposable
{
    private readonly ModelConfig _config;
    private readonly InferenceSession _session;
    private readonly float[][] _cache;
    private readonly int _batch;

    public SharedBufferDecoder(string onnxPath, ModelConfig config, int batch, int capacity)
    {
        _config = config;
        _batch = batch;
        _session = new InferenceSession(onnxPath);
        _cache = Enumerable.Range(0, 2 * config.Layers).Select(_ => new float[batch * config.KvHeads * capacity * config.HeadDim]).ToArray();
        Capacity = capacity;
    }

    public int Capacity { get; }

    /// <summary>The cache buffer of <paramref name="layer"/>'s keys (kind 0) or values (kind 1), as ONNX Runtime left it.</summary>
    public float[] Cache(int layer, int kind) => _cache[2 * layer + kind];

    /// <summary>
    /// One step: <paramref name="ids"/> [batch][seq], row b's attention mask <paramref name="lengths"/>[b] ones then zeros
    /// over <paramref name="maskWidth"/> columns, and GPT-2's positions <paramref name="positions"/> [batch][seq].
    /// </summary>
    public FusedStep Run(long[][] ids, int[] lengths, int maskWidth, long[][] positions)
    {
        Assert.Equal(_batch, ids.Length);
        Assert.Equal(_batch, lengths.Length);
        Assert.Equal(_batch, positions.Length);
        int seq = ids[0].Length;
        var mask = lengths.SelectMany(n => Enumerable.Range(0, maskWidth).Select(j => j < n ? 1L : 0L)).ToArray();
        var values = new List<OrtValue>
        {
            OrtValue.CreateTensorValueFromMemory(ids.SelectMany(r => r).ToArray(), [_batch, seq]),
            OrtValue.CreateTensorValueFromMemory(mask, [_batch, maskWidth]),
        };
        using var binding = _session.CreateIoBinding();
        binding.BindInput("input_ids", values[0]);
        binding.BindInput("attention_mask", values[1]);
        if (_session.InputMetadata.ContainsKey("position_ids"))
        {
            values.Add(OrtValue.CreateTensorValueFromMemory(positions.SelectMany(r => r).ToArray(), [_batch, seq]));
            binding.BindInput("position_ids", values[^1]);
        }
        for (int i = 0; i < _config.Layers; i++)
            for (int kind = 0; kind < 2; kind++)
            {
                var buffer = OrtValue.CreateTensorValueFromMemory(Cache(i, kind), [_batch, _config.KvHeads, Capacity, _config.HeadDim]);
                values.Add(buffer);
                binding.BindInput(kind == 0 ? DecoderGraphWriter.PastKey(i) : DecoderGraphWriter.PastValue(i), buffer);
                binding.BindOutput(kind == 0 ? DecoderGraphWriter.PresentKey(i) : DecoderGraphWriter.PresentValue(i), buffer);
            }
        var logits = new float[_batch * seq * _config.VocabSize];
        var hidden = new float[_batch * seq * _config.Hidden];
        values.Add(OrtValue.CreateTensorValueFromMemory(logits, [_batch, seq, _config.VocabSize]));
        binding.BindOutput("logits", values[^1]);
        values.Add(OrtValue.CreateTensorValueFromMemory(hidden, [_batch, seq, _config.Hidden]));
        binding.BindOutput(DecoderGraphWriter.FinalHiddenName, values[^1]);
        try
        {
            using var options = new RunOptions();
            _session.RunWithBinding(options, binding);
            return new FusedStep(logits, hidden, seq);
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }

    public void Dispose() => _session.Dispose();
}
