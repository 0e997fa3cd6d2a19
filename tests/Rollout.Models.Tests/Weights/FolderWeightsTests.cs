using Rollout.Engine;
using Rollout.Engine.Model;
using Rollout.Models.ModelFolder;
using Rollout.Models.Onnx;
using Rollout.Models.Tests.Support;
using Rollout.Models.Training.Decoder;
using Rollout.Models.Weights;
using Rollout.Tests;

namespace Rollout.Models.Tests.Weights;

public class FolderWeightsTests
{
    [Theory]
    [InlineData(Architecture.Llama)]
    [InlineData(Architecture.Qwen2)]
    [InlineData(Architecture.Gpt2)]
    public void ANewModelsWeightsComeBackBitForBit(Architecture arch)
    {
        var dir = Path.Combine(RepoPaths.NewTempDir("folder-weights"), "m");
        var config = NewModel.Write(arch, 2, 32, 4, arch == Architecture.Gpt2 ? 4 : 2, 64, 300, seed: 3, dir, WeightDtype.Float32);
        var read = FolderWeights.Read(dir);
        AssertSameBits(RandomWeights.Create(config, seed: 3), read);
        // The trainer starts from what was read (it covers Llama and Qwen2).
        if (arch != Architecture.Gpt2)
            AssertSameBits(read, DecoderParameters<float>.FromWeights(read).ToWeights());
    }

    [Fact]
    public void ExternalDataComesBackBitForBit()
    {
        var dir = RepoPaths.NewTempDir("folder-weights-external");
        var weights = RandomWeights.Create(TinyModels.Llama, seed: 4);
        ModelFolderWriter.Write(weights, dir, new DecoderExportOptions { ExternalDataThreshold = 0 }, 0, null);
        Assert.True(File.Exists(Path.Combine(dir, ModelFolderWriter.OnnxFile + ".data")));
        CopyTokenizer(dir);
        AssertSameBits(weights, FolderWeights.Read(dir));
    }

    [Fact]
    public void AForeignGraphIsRefusedNamingTheFolder()
    {
        var dir = RepoPaths.NewTempDir("folder-weights-foreign");
        ModelFolderWriter.Write(RandomWeights.Create(TinyModels.Llama, seed: 4), dir, new DecoderExportOptions(), 0, null);
        CopyTokenizer(dir);
        // A graph whose weights are named otherwise (GPT-2's names) in a Llama folder.
        DecoderGraphWriter.Write(RandomWeights.Create(TinyModels.Gpt2, seed: 4), Path.Combine(dir, ModelFolderWriter.OnnxFile));
        var e = Assert.Throws<InputException>(() => FolderWeights.Read(dir));
        Assert.StartsWith(dir, e.Message);
        Assert.Contains("model.embed_tokens.weight", e.Message);
    }

    private static void CopyTokenizer(string dir)
    {
        var source = Path.Combine(RepoPaths.NewTempDir("folder-weights-tokenizer"), "m");
        NewModel.Write(Architecture.Llama, 1, 8, 2, 2, 8, 300, seed: 1, source, WeightDtype.Float32);
        foreach (var file in Directory.GetFiles(source).Where(f => Path.GetFileName(f).StartsWith("tokenizer") || f.EndsWith("vocab.json") || f.EndsWith("merges.txt")))
            File.Copy(file, Path.Combine(dir, Path.GetFileName(file)));
    }

    private static void AssertSameBits(ModelWeights expected, ModelWeights actual)
    {
        Assert.Equal(expected.Tensors.Keys.Order(), actual.Tensors.Keys.Order());
        foreach (var (name, tensor) in expected.Tensors)
        {
            Assert.Equal(tensor.Shape, actual[name].Shape);
            Assert.True(System.Runtime.InteropServices.MemoryMarshal.AsBytes(tensor.Data.AsSpan()).SequenceEqual(System.Runtime.InteropServices.MemoryMarshal.AsBytes(actual[name].Data.AsSpan())), name);
        }
    }
}
