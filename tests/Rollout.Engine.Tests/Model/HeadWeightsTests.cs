using Rollout.Engine.Model;
using Rollout.Engine.Tests.Support;
using Rollout.Models.Onnx;
using Rollout.Tests;

namespace Rollout.Engine.Tests.Model;

/// <summary>The head W (V×d) read from every way the writer stores it: tied (GPT-2, Qwen2) or its own (Llama), fp32 or fp16, inline or external.</summary>
[Collection(EngineModelsCollection.Name)]
public sealed class HeadWeightsTests(EngineModels models)
{
    [Theory]
    [InlineData("gpt2", WeightDtype.Float32, false)]
    [InlineData("llama", WeightDtype.Float32, false)]
    [InlineData("qwen2", WeightDtype.Float32, true)]
    [InlineData("llama", WeightDtype.Float16, true)]
    [InlineData("gpt2", WeightDtype.Float16, false)]
    public void The_head_equals_the_checkpoints_output_head(string arch, WeightDtype dtype, bool external)
    {
        var weights = models.Weights(arch);
        var path = Path.Combine(RepoPaths.NewTempDir("head"), "model.onnx");
        DecoderGraphWriter.Write(weights, path, new DecoderExportOptions { Dtype = dtype, ExternalDataThreshold = external ? 0 : DecoderExportOptions.DefaultExternalDataThreshold });
        Assert.Equal(external, File.Exists(path + ".data"));
        int vocab = weights.Config.VocabSize, hidden = weights.Config.Hidden;

        var head = HeadWeights.Read(path, vocab, hidden).Matrix();

        var expected = weights.OutputHead;
        Assert.Equal([vocab, hidden], expected.Shape);
        // fp16 storage rounds each weight to 11 significant bits.
        double tolerance = dtype == WeightDtype.Float16 ? 1e-3 : 0;
        for (int i = 0; i < expected.Data.Length; i++)
            Assert.True(Math.Abs(head[i] - expected.Data[i]) <= tolerance * Math.Max(1, Math.Abs(expected.Data[i])), $"W[{i / hidden},{i % hidden}]: {head[i]} vs {expected.Data[i]}");
    }
}
