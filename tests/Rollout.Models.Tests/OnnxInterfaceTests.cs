using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Onnx;
using Rollout.Models.Reference;
using Rollout.Models.Onnx;
using Rollout.Models.Tests.Support;
using Rollout.Models.Weights;
using Rollout.Tests;

namespace Rollout.Models.Tests;

/// <summary>The graph's inputs and outputs are exactly Optimum's merged decoder with past, in standard operators.</summary>
public class OnnxInterfaceTests
{
    private const int Int64 = 7, Float = 1;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void InputsAndOutputsFollowOptimumNamesTypesAndDims(bool positionIds)
    {
        var c = TinyModels.Llama;
        var path = Path.Combine(RepoPaths.NewTempDir("iface"), "model.onnx");
        DecoderGraphWriter.Write(RandomWeights.Create(c, 1), path, new DecoderExportOptions { PositionIdsInput = positionIds });
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));

        var expectedInputs = new List<(string, int, string)>
        {
            ("input_ids", Int64, "batch_size,sequence_length"),
            ("attention_mask", Int64, "batch_size,past_sequence_length + sequence_length"),
        };
        if (positionIds) expectedInputs.Add(("position_ids", Int64, "batch_size,sequence_length"));
        var expectedOutputs = new List<(string, int, string)> { ("logits", Float, "batch_size,sequence_length,300") };
        for (int i = 0; i < c.Layers; i++)
            foreach (var kind in new[] { "key", "value" })
            {
                expectedInputs.Add(($"past_key_values.{i}.{kind}", Float, "batch_size,2,past_sequence_length,8"));
                expectedOutputs.Add(($"present.{i}.{kind}", Float, "batch_size,2,past_sequence_length + sequence_length,8"));
            }
        Assert.Equal(expectedInputs, model.Graph.Input.Select(ValueInfoText.Describe));
        Assert.Equal(expectedOutputs, model.Graph.Output.Select(ValueInfoText.Describe));

        Assert.Equal([("", 17L)], model.OpsetImport.Select(o => (o.Domain, o.Version)));
        Assert.All(model.Graph.Node, n => Assert.Equal("", n.Domain));
    }

    [Fact]
    public void TiedHeadReadsTheEmbeddingInitializer()
    {
        var path = Path.Combine(RepoPaths.NewTempDir("tied"), "model.onnx");
        DecoderGraphWriter.Write(RandomWeights.Create(TinyModels.Qwen2, 1), path);
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        Assert.Single(model.Graph.Initializer, t => t.Dims.SequenceEqual([320L, 48L]));
        Assert.DoesNotContain(model.Graph.Initializer, t => t.Name == CheckpointLayout.LmHead);
    }

    [Theory]
    [MemberData(nameof(TinyModels.Names), MemberType = typeof(TinyModels))]
    public void FinalHiddenValueIsTheReferenceHiddenState(string arch)
    {
        var weights = RandomWeights.Create(TinyModels.ByName(arch), 1);
        var c = weights.Config;
        var path = Path.Combine(RepoPaths.NewTempDir("hidden"), "model.onnx");
        DecoderGraphWriter.Write(weights, path);
        // The engine exposes hidden states the same way: by adding the named value as an output.
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        model.Graph.Output.Add(new ValueInfoProto { Name = DecoderGraphWriter.FinalHiddenName });
        File.WriteAllBytes(path, model.ToByteArray());

        int[] prompt = DecoderCheck.Prompts[0];
        using var session = new InferenceSession(path);
        var inputs = new Dictionary<string, OrtValue>
        {
            ["input_ids"] = OrtValue.CreateTensorValueFromMemory(prompt.Select(t => (long)t).ToArray(), [1, prompt.Length]),
            ["attention_mask"] = OrtValue.CreateTensorValueFromMemory(prompt.Select(_ => 1L).ToArray(), [1, prompt.Length]),
            ["position_ids"] = OrtValue.CreateTensorValueFromMemory(Enumerable.Range(0, prompt.Length).Select(i => (long)i).ToArray(), [1, prompt.Length]),
        };
        for (int i = 0; i < c.Layers; i++)
            foreach (var kind in new[] { "key", "value" })
                inputs[$"past_key_values.{i}.{kind}"] = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance,
                    TensorElementType.Float, [1, c.KvHeads, 0, c.HeadDim]);
        using var outputs = session.Run(new RunOptions(), inputs, [DecoderGraphWriter.FinalHiddenName]);
        var hidden = outputs[0].GetTensorDataAsSpan<float>().ToArray();

        var expected = ReferenceForward.Run(weights, prompt).Hidden;
        for (int t = 0; t < prompt.Length; t++)
            LogitsAssert.Close(expected[t], hidden[(t * c.Hidden)..((t + 1) * c.Hidden)], DecoderCheck.Tolerance, $"position {t}");
        foreach (var v in inputs.Values) v.Dispose();
    }
}
