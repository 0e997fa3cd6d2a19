using Onnx;
using Rollout.Models.Onnx;
using Rollout.Models.Reference;
using Rollout.Models.Tests.Support;
using Rollout.Models.Weights;
using Rollout.Tests;

namespace Rollout.Models.Tests.Onnx;

/// <summary>The fused graph (GroupQueryAttention over one shared cache buffer), run by ONNX Runtime, against the float64 reference.</summary>
public class FusedDecoderGraphTests
{
    private const int DecodeSteps = 5;

    /// <summary>More slots than the longest prompt plus every decoded token, so rows end at different slots of one buffer.</summary>
    private const int Capacity = 16;

    [Theory]
    [MemberData(nameof(TinyModels.Names), MemberType = typeof(TinyModels))]
    public void RightPaddedPrefillThenDecodeStepsOfRowsOfDifferentLengthsMatchReference(string arch)
    {
        var weights = RandomWeights.Create(TinyModels.ForFusedGraph(arch), seed: 11);
        var c = weights.Config;
        var path = Export(weights, new DecoderExportOptions { Graph = DecoderGraphLayout.Fused });
        int[][] prompts = DecoderCheck.Prompts;
        int batch = prompts.Length, width = prompts.Max(p => p.Length);
        using var decoder = new SharedBufferDecoder(path, c, batch, Capacity);

        // Prefill: right padding, the mask as wide as the longest prompt; positions 0 … width−1 in every row.
        var ids = prompts.Select(p => p.Select(t => (long)t).Concat(Enumerable.Repeat(0L, width - p.Length)).ToArray()).ToArray();
        var lengths = prompts.Select(p => p.Length).ToArray();
        var step = decoder.Run(ids, lengths, width, prompts.Select(_ => Enumerable.Range(0, width).Select(i => (long)i).ToArray()).ToArray());
        var sequences = prompts.Select(p => p.ToList()).ToArray();
        for (int b = 0; b < batch; b++)
        {
            var expected = ReferenceForward.Run(weights, prompts[b]);
            for (int t = 0; t < prompts[b].Length; t++)
            {
                LogitsAssert.Close(expected.Logits[t], Row(step.Logits, b, t, step.Seq, c.VocabSize), DecoderCheck.Tolerance, $"prefill row {b} position {t}");
                LogitsAssert.Close(expected.Hidden[t], Row(step.Hidden, b, t, step.Seq, c.Hidden), DecoderCheck.Tolerance, $"prefill hidden row {b} position {t}");
            }
            sequences[b].Add(LogitsAssert.ArgMax(expected.Logits[^1]));
        }

        // Decode: one token per row, written at slot len−1 of its row; the mask as wide as the longest row.
        for (int s = 0; s < DecodeSteps; s++)
        {
            lengths = sequences.Select(q => q.Count).ToArray();
            step = decoder.Run(sequences.Select(q => new[] { (long)q[^1] }).ToArray(), lengths, lengths.Max(),
                lengths.Select(n => new[] { (long)n - 1 }).ToArray());
            for (int b = 0; b < batch; b++)
            {
                var expected = ReferenceForward.Run(weights, sequences[b]);
                var logits = Row(step.Logits, b, 0, 1, c.VocabSize);
                LogitsAssert.Close(expected.Logits[^1], logits, DecoderCheck.Tolerance, $"decode step {s} row {b} (length {lengths[b]})");
                LogitsAssert.Close(expected.Hidden[^1], Row(step.Hidden, b, 0, 1, c.Hidden), DecoderCheck.Tolerance, $"decode step {s} hidden row {b}");
                Assert.Equal(LogitsAssert.ArgMax(expected.Logits[^1]), Array.IndexOf(logits, logits.Max()));
                sequences[b].Add(LogitsAssert.ArgMax(expected.Logits[^1]));
            }
        }

        // Every row wrote only its own slots: past its last token the buffer is as the prefill's padding or zero left it.
        var cache = decoder.Cache(0, 0);
        int rowSize = c.KvHeads * Capacity * c.HeadDim;
        for (int b = 0; b < batch; b++)
            for (int slot = Math.Max(width, sequences[b].Count - 1); slot < Capacity; slot++)
                Assert.All(Enumerable.Range(0, c.HeadDim), e => Assert.Equal(0f, cache[b * rowSize + slot * c.HeadDim + e]));
    }

    [Theory]
    [MemberData(nameof(TinyModels.Names), MemberType = typeof(TinyModels))]
    public void InputsAndOutputsKeepOptimumNamesOverASharedBufferAndAttentionIsGroupQueryAttention(string arch)
    {
        var c = TinyModels.ForFusedGraph(arch);
        var path = Export(RandomWeights.Create(c, 1), new DecoderExportOptions { Graph = DecoderGraphLayout.Fused, PositionIdsInput = false });
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        const int Int64 = 7, Float = 1;
        string kv = $"batch_size,{c.KvHeads},max_sequence_length,{c.HeadDim}";

        var expectedInputs = new List<(string, int, string)>
        {
            ("input_ids", Int64, "batch_size,sequence_length"),
            ("attention_mask", Int64, "batch_size,total_sequence_length"),
        };
        // GroupQueryAttention computes rotary positions itself; GPT-2's learned positions still come in.
        if (arch == "gpt2") expectedInputs.Add(("position_ids", Int64, "batch_size,sequence_length"));
        var expectedOutputs = new List<(string, int, string)> { ("logits", Float, $"batch_size,sequence_length,{c.VocabSize}") };
        for (int i = 0; i < c.Layers; i++)
            foreach (var kind in new[] { "key", "value" })
            {
                expectedInputs.Add(($"past_key_values.{i}.{kind}", Float, kv));
                expectedOutputs.Add(($"present.{i}.{kind}", Float, kv));
            }
        expectedOutputs.Add((DecoderGraphWriter.FinalHiddenName, Float, $"batch_size,sequence_length,{c.Hidden}"));
        Assert.Equal(expectedInputs, model.Graph.Input.Select(ValueInfoText.Describe));
        Assert.Equal(expectedOutputs, model.Graph.Output.Select(ValueInfoText.Describe));

        Assert.Equal([("", 17L), ("com.microsoft", 1L)], model.OpsetImport.Select(o => (o.Domain, o.Version)));
        var attention = model.Graph.Node.Where(n => n.OpType == "GroupQueryAttention").ToList();
        Assert.Equal(c.Layers, attention.Count);
        Assert.All(attention, n => Assert.Equal("com.microsoft", n.Domain));
        Assert.All(attention, n => Assert.Equal(arch == "gpt2" ? 0 : 1, n.Attribute.Single(a => a.Name == "do_rotary").I));
        // No copy of the cache: nothing but attention reads the past.
        Assert.DoesNotContain(model.Graph.Node, n => n.OpType == "Concat" && n.Input.Any(i => i.StartsWith("past_key_values")));
    }

    [Fact]
    public void AHeadSizeGroupQueryAttentionRefusesIsAnInputError()
    {
        var e = Assert.Throws<Rollout.Engine.InputException>(() =>
            Export(RandomWeights.Create(TinyModels.Llama, 1), new DecoderExportOptions { Graph = DecoderGraphLayout.Fused }));
        Assert.Contains("multiple of 16", e.Message);
    }

    private static float[] Row(float[] data, int b, int t, int seq, int width) => data.AsSpan((b * seq + t) * width, width).ToArray();

    private static string Export(ModelWeights weights, DecoderExportOptions options)
    {
        var path = Path.Combine(RepoPaths.NewTempDir("fused"), "model.onnx");
        DecoderGraphWriter.Write(weights, path, options);
        return path;
    }
}
