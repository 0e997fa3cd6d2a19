using Rollout.Models.Onnx;
using Rollout.Models.Tests.Support;
using Rollout.Models.Weights;
using Rollout.Tests;

namespace Rollout.Models.Tests;

/// <summary>The exported graph, run by ONNX Runtime with a KV cache, against the float64 reference.</summary>
public class OnnxDecoderTests
{
    [Theory]
    [MemberData(nameof(TinyModels.Names), MemberType = typeof(TinyModels))]
    public void SinglePromptPrefillAndEveryDecodeStepMatchReference(string arch) =>
        Check(RandomWeights.Create(TinyModels.ByName(arch), seed: 1), [DecoderCheck.Prompts[0]], new DecoderExportOptions());

    [Theory]
    [MemberData(nameof(TinyModels.Names), MemberType = typeof(TinyModels))]
    public void LeftPaddedBatchMatchesReferencePerRow(string arch) =>
        Check(RandomWeights.Create(TinyModels.ByName(arch), seed: 2), DecoderCheck.Prompts, new DecoderExportOptions());

    [Theory]
    [MemberData(nameof(TinyModels.Names), MemberType = typeof(TinyModels))]
    public void WithoutPositionIdsPositionsComeFromTheMask(string arch) =>
        Check(RandomWeights.Create(TinyModels.ByName(arch), seed: 3), DecoderCheck.Prompts, new DecoderExportOptions { PositionIdsInput = false });

    [Theory]
    [MemberData(nameof(TinyModels.Names), MemberType = typeof(TinyModels))]
    public void Float16WeightsMatchReferenceOfRoundedWeights(string arch)
    {
        var weights = RandomWeights.Create(TinyModels.ByName(arch), seed: 4);
        var path = Export(weights, new DecoderExportOptions { Dtype = WeightDtype.Float16 });
        // The graph computes in float32 from half-precision weights, so the oracle uses the same rounded weights.
        DecoderCheck.AssertMatchesReference(path, DecoderCheck.Rounded(weights, f => (float)(Half)f), DecoderCheck.Prompts);
        long float32Size = new FileInfo(Export(weights, new DecoderExportOptions())).Length;
        Assert.True(new FileInfo(path).Length < float32Size * 0.6, "float16 initializers should halve the file");
    }

    [Fact]
    public void ExternalDataPathWritesDataFileAndMatchesReference()
    {
        var weights = RandomWeights.Create(TinyModels.Llama, seed: 5);
        var path = Check(weights, DecoderCheck.Prompts, new DecoderExportOptions { ExternalDataThreshold = 0 });
        Assert.True(File.Exists(path + ".data"));
        Assert.True(new FileInfo(path).Length < 16 * 1024, "weights should live in model.onnx.data");
    }

    [Fact]
    public void InlineWeightsLeaveNoDataFile()
    {
        var path = Export(RandomWeights.Create(TinyModels.Gpt2, 6), new DecoderExportOptions());
        Assert.False(File.Exists(path + ".data"));
    }

    private static string Check(ModelWeights weights, int[][] prompts, DecoderExportOptions options)
    {
        var path = Export(weights, options);
        DecoderCheck.AssertMatchesReference(path, weights, prompts);
        return path;
    }

    private static string Export(ModelWeights weights, DecoderExportOptions options)
    {
        var path = Path.Combine(RepoPaths.NewTempDir("onnx"), "model.onnx");
        DecoderGraphWriter.Write(weights, path, options);
        return path;
    }
}
