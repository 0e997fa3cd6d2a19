using Rollout.Models.Reference;
using Rollout.Models.Weights;

namespace Rollout.Models.Tests.Support;

/// <summary>An exported decoder, run by ONNX Runtime with a KV cache, against the float64 reference.</summary>
internal static class DecoderCheck
{
    public const double Tolerance = 1e-4;
    public const int Steps = 4;

    public static readonly int[][] Prompts = [[5, 17, 230, 9, 44, 101, 3], [250, 11], [7, 7, 120, 64]];

    /// <summary>
    /// Greedy-decodes <paramref name="prompts"/> as one left-padded batch and checks every logits row
    /// (prefill positions and each decode step) and every greedy token against the reference of <paramref name="oracle"/>.
    /// </summary>
    public static void AssertMatchesReference(string onnxPath, ModelWeights oracle, int[][] prompts)
    {
        using var decoder = new OrtDecoder(onnxPath, oracle.Config);
        var runs = decoder.Greedy(prompts, Steps);
        for (int b = 0; b < prompts.Length; b++)
        {
            var sequence = prompts[b].Concat(runs[b].Generated).ToArray();
            var expected = ReferenceForward.Run(oracle, sequence).Logits;
            // One row per prompt position from the prefill, then one per decoded token.
            Assert.Equal(sequence.Length, runs[b].Logits.Count);
            for (int t = 0; t < runs[b].Logits.Count; t++)
                LogitsAssert.Close(expected[t], runs[b].Logits[t], Tolerance, $"row {b} position {t}");
            for (int s = 0; s < Steps; s++)
                Assert.Equal(LogitsAssert.ArgMax(expected[prompts[b].Length - 1 + s]), runs[b].Generated[s]);
        }
    }

    /// <summary>The same weights as stored at lower precision: what a runtime computes with.</summary>
    public static ModelWeights Rounded(ModelWeights w, Func<float, float> round) =>
        new(w.Config, w.Tensors.ToDictionary(kv => kv.Key, kv => new WeightTensor(kv.Value.Shape, kv.Value.Data.Select(round).ToArray())));
}
