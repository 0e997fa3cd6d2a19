using Rollout.Engine.Model;
using Rollout.Engine.Tests.Support;
using Rollout.Models.ModelFolder;
using Rollout.Models.Weights;
using Rollout.Tests;

namespace Rollout.Engine.Tests.Model;

[Collection(EngineModelsCollection.Name)]
public sealed class DecoderSessionWeightsTests(EngineModels models)
{
    [Theory]
    [InlineData("llama", false)]
    [InlineData("qwen2", false)]
    // The head computed on the host is packed anew from the new weights.
    [InlineData("llama", true)]
    [InlineData("qwen2", true)]
    public void Logits_after_new_weights_equal_those_of_a_folder_written_with_them(string arch, bool headOnHost)
    {
        var weights = RandomWeights.Create(models.Weights(arch).Config, seed: EngineModels.Seed + 2);
        var policyDir = Path.Combine(RepoPaths.NewTempDir("policy-session"), arch);
        PolicyFolderWriter.Write(weights, models.Dir(arch), policyDir);
        var folder = ModelFolder.Open(models.Dir(arch));
        using var updated = DecoderSession.Load(folder.OnnxPath, folder.Config, headOnHost: headOnHost);
        using var fresh = ModelFolder.Open(policyDir).OpenSession();

        updated.UpdateWeights(weights.Tensors.ToDictionary(t => t.Key, t => t.Value.Data));

        int[] tokens = [5, 17, 200, 33, 9];
        var expected = SessionPrefill.Logits(fresh, tokens);
        var actual = SessionPrefill.Logits(updated, tokens);
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5, $"logit {i}: {actual[i]} vs {expected[i]}");
    }
}
