using Rollout.Engine;
using Rollout.Engine.Model;
using Rollout.Models.ModelFolder;
using Rollout.Models.Onnx;
using Rollout.Models.Tests.Support;
using Rollout.Models.Weights;
using Rollout.Tests;

namespace Rollout.Models.Tests.ModelFolder;

public class PolicyFolderWriterTests
{
    [Theory]
    [InlineData(Architecture.Llama)]
    [InlineData(Architecture.Qwen2)]
    public void ThePolicyFoldersLogitsAreTheReferenceForwardOfItsWeights(Architecture arch)
    {
        var root = RepoPaths.NewTempDir("policy-folder");
        string source = Path.Combine(root, "source"), policy = Path.Combine(root, "policy");
        var config = NewModel.Write(arch, 2, 32, 4, 2, 64, 300, seed: 1, source, WeightDtype.Float32);
        // Other weights of the same shapes stand in for a trained policy.
        var weights = RandomWeights.Create(config, seed: 2);

        PolicyFolderWriter.Write(weights, source, policy);

        DecoderCheck.AssertMatchesReference(Path.Combine(policy, ModelFolderWriter.OnnxFile), weights, DecoderCheck.Prompts);
        foreach (var file in new[] { "config.json", "generation_config.json", "genai_config.json", "tokenizer.json", "tokenizer_config.json" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(source, file)), File.ReadAllBytes(Path.Combine(policy, file)));
        var opened = Engine.Model.ModelFolder.Open(policy);
        Assert.Equal(opened.Tokenizer.Encode("12 + 7 =", addSpecialTokens: true), Engine.Model.ModelFolder.Open(source).Tokenizer.Encode("12 + 7 =", addSpecialTokens: true));
    }

    [Fact]
    public void APolicyOfAFusedFolderIsAFusedGraph()
    {
        var root = RepoPaths.NewTempDir("policy-folder-fused");
        string source = Path.Combine(root, "source"), policy = Path.Combine(root, "policy");
        var config = NewModel.Write(Architecture.Llama, 2, 64, 4, 2, 64, 300, seed: 1, source, WeightDtype.Float32, graph: DecoderGraphLayout.Fused);

        PolicyFolderWriter.Write(RandomWeights.Create(config, seed: 2), source, policy);

        // The copied genai_config.json says the buffer is shared: the graph must be the one that shares it.
        Assert.Equal(DecoderGraphLayout.Fused, GenAiConfig.ReadLayout(policy));
        var model = global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(policy, ModelFolderWriter.OnnxFile)));
        Assert.Equal(config.Layers, model.Graph.Node.Count(n => n.OpType == "GroupQueryAttention"));
    }

    [Fact]
    public void WeightsOfAnotherShapeAreRefused()
    {
        var root = RepoPaths.NewTempDir("policy-folder-shape");
        var source = Path.Combine(root, "source");
        NewModel.Write(Architecture.Llama, 2, 32, 4, 2, 64, 300, seed: 1, source, WeightDtype.Float32);
        var e = Assert.Throws<InputException>(() =>
            PolicyFolderWriter.Write(RandomWeights.Create(TinyModels.Qwen2, seed: 2), source, Path.Combine(root, "policy")));
        Assert.StartsWith(source, e.Message);
    }
}
