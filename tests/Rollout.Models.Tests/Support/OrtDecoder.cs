using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Rollout.Engine.Model;

namespace Rollout.Models.Tests.Support;

/// <summary>One sequence of a batched run: its greedy tokens and the logits row of every real position.</summary>
internal sealed record OrtSequence(int[] Generated, List<float[]> Logits);

/// <summary>
/// Drives an exported decoder the way a generation loop does, straight through ONNX Runtime:
/// a left-padded prefill, then one token per step with present fed back as past.
/// </summary>
internal sealed class OrtDecoder(string onnxPath, ModelConfig config) : IDisposable
{
    private readonly InferenceSession _session = new(onnxPath);

    public bool HasPositionIds => _session.InputMetadata.ContainsKey("position_ids");

    public OrtSequence[] Greedy(IReadOnlyList<int[]> prompts, int steps)
    {
        int batch = prompts.Count, width = prompts.Max(p => p.Length);
        var mask = prompts.Select(p => Enumerable.Repeat(0L, width - p.Length).Concat(Enumerable.Repeat(1L, p.Length)).ToList()).ToArray();
        var ids = prompts.Select(p => Enumerable.Repeat(0L, width - p.Length).Concat(p.Select(t => (long)t)).ToArray()).ToArray();
        // HF's convention: a real token's position counts the real tokens before it; padding slots get 1.
        var positions = mask.Select(m => m.Select((bit, j) => bit == 1 ? m.Take(j).Sum() : 1L).ToArray()).ToArray();
        var results = prompts.Select(_ => new OrtSequence(new int[steps], [])).ToArray();
        var past = Enumerable.Range(0, 2 * config.Layers).Select(_ => (Data: Array.Empty<float>(), Length: 0)).ToArray();

        for (int step = 0; step <= steps; step++)
        {
            int seq = ids[0].Length;
            var (logits, present) = Run(ids, mask, positions, past, batch, seq);
            past = present;
            for (int b = 0; b < batch; b++)
            {
                int firstReal = step == 0 ? width - prompts[b].Length : 0;
                for (int s = firstReal; s < seq; s++)
                    results[b].Logits.Add(logits.AsSpan(((b * seq) + s) * config.VocabSize, config.VocabSize).ToArray());
            }
            if (step == steps) break;
            for (int b = 0; b < batch; b++)
            {
                var last = results[b].Logits[^1];
                int next = Array.IndexOf(last, last.Max());
                results[b].Generated[step] = next;
                mask[b].Add(1);
                positions[b] = [positions[b][^1] + 1];
                ids[b] = [next];
            }
        }
        return results;
    }

    private (float[] Logits, (float[] Data, int Length)[] Present) Run(long[][] ids, List<long>[] mask, long[][] positions,
        (float[] Data, int Length)[] past, int batch, int seq)
    {
        var inputs = new Dictionary<string, OrtValue>
        {
            ["input_ids"] = Int64Tensor(ids.SelectMany(r => r).ToArray(), batch, seq),
            ["attention_mask"] = Int64Tensor(mask.SelectMany(r => r).ToArray(), batch, mask[0].Count),
        };
        if (HasPositionIds) inputs["position_ids"] = Int64Tensor(positions.SelectMany(r => r).ToArray(), batch, seq);
        for (int i = 0; i < config.Layers; i++)
            for (int kv = 0; kv < 2; kv++)
            {
                var (data, length) = past[2 * i + kv];
                long[] shape = [batch, config.KvHeads, length, config.HeadDim];
                inputs[$"past_key_values.{i}.{(kv == 0 ? "key" : "value")}"] = length == 0
                    ? OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, TensorElementType.Float, shape)
                    : OrtValue.CreateTensorValueFromMemory(data, shape);
            }
        var outputNames = new List<string> { "logits" };
        for (int i = 0; i < config.Layers; i++) outputNames.AddRange([$"present.{i}.key", $"present.{i}.value"]);
        try
        {
            using var outputs = _session.Run(new RunOptions(), inputs, outputNames);
            var logits = outputs[0].GetTensorDataAsSpan<float>().ToArray();
            // Padding positions are fully masked query rows: they too must be finite.
            Assert.DoesNotContain(logits, float.IsNaN);
            var present = outputs.Skip(1).Select(o => (o.GetTensorDataAsSpan<float>().ToArray(), (int)o.GetTensorTypeAndShape().Shape[2])).ToArray();
            return (logits, present);
        }
        finally
        {
            foreach (var v in inputs.Values) v.Dispose();
        }
    }

    private static OrtValue Int64Tensor(long[] data, int rows, int cols) => OrtValue.CreateTensorValueFromMemory(data, [rows, cols]);

    public void Dispose() => _session.Dispose();
}
