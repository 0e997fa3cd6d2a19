using Rollout.Engine.Generation;
using Rollout.Engine.Prompts;
using Rollout.Engine.Sampling;
using Rollout.Engine.Tests.Support;
using Rollout.Kernels;
using Rollout.Models.ModelFolder;
using Rollout.Models.Training.Decoder;
using Rollout.Models.Training.Policy;
using Rollout.Models.Weights;
using Rollout.Tests;

namespace Rollout.Engine.Tests;

/// <summary>An engine given new weights samples as a folder written with those weights, opened fresh, does.</summary>
[Collection(EngineModelsCollection.Name)]
public sealed class UpdateWeightsTests(EngineModels models)
{
    private static readonly string[] Texts = ["Compute 12 + 7 - 5 + 30.", "The quick brown fox jumps over the lazy dog, and then"];

    private static readonly GenerationOptions Greedy = new()
    {
        Sampling = new SamplingParams { Greedy = true }, MaxNewTokens = 8, IgnoreEos = true, BatchSize = 4,
    };

    private static readonly L2TGeneration L2T = new() { Options = new L2TOptions { Rank = 8 } };

    /// <summary>Weights of the same shapes as the folder's, as a trainer would hand over, and a folder written with them.</summary>
    private (ModelWeights Weights, string PolicyDir) Policy(string arch)
    {
        var weights = RandomWeights.Create(models.Weights(arch).Config, seed: EngineModels.Seed + 1);
        var dir = Path.Combine(RepoPaths.NewTempDir("policy"), arch);
        PolicyFolderWriter.Write(weights, models.Dir(arch), dir);
        return (weights, dir);
    }

    private static Dictionary<string, float[]> Tensors(ModelWeights weights) => weights.Tensors.ToDictionary(t => t.Key, t => t.Value.Data);

    [Theory]
    [InlineData("llama")]
    [InlineData("qwen2")]
    public void Greedy_rollouts_and_head_factors_equal_those_of_the_policy_folder_opened_fresh(string arch)
    {
        var (weights, policyDir) = Policy(arch);
        using var updated = RolloutEngine.Open(models.Dir(arch));
        using var fresh = RolloutEngine.Open(policyDir);
        var prompts = updated.Encode(Texts.Select((t, i) => new Prompt($"p{i}", t, null, null, null)));
        var before = updated.Generate(prompts, Greedy).ToList();
        var factorsBefore = updated.HeadFactors(L2T);

        updated.UpdateWeights(Tensors(weights));

        var expected = fresh.Generate(prompts, Greedy).ToList();
        var actual = updated.Generate(prompts, Greedy).ToList();
        Assert.NotEqual(before.Select(r => r.TokenIds), actual.Select(r => r.TokenIds));
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].TokenIds, actual[i].TokenIds);
            for (int t = 0; t < expected[i].Logprobs.Length; t++) Assert.Equal(expected[i].Logprobs[t], actual[i].Logprobs[t], 1e-5);
        }

        var factors = updated.HeadFactors(L2T);
        var freshFactors = fresh.HeadFactors(L2T);
        Assert.NotEqual(factorsBefore.Singular, factors.Singular);
        for (int k = 0; k < factors.Rank; k++)
            Assert.True(Math.Abs(freshFactors.Singular[k] - factors.Singular[k]) <= 1e-6 * freshFactors.Singular[0], $"σ_{k}: {factors.Singular[k]} vs {freshFactors.Singular[k]}");
    }

    [Fact]
    public void A_full_update_on_the_engines_rollouts_goes_back_into_the_engine()
    {
        using var engine = RolloutEngine.Open(models.Dir("qwen2"));
        var prompts = engine.Encode(Texts.Select((t, i) => new Prompt($"p{i}", t, null, null, null)));
        var options = new GenerationOptions { Sampling = new SamplingParams { Temperature = 0.8 }, MaxNewTokens = 8, IgnoreEos = true, Seed = 3, SamplesPerPrompt = 2 };
        var rollouts = engine.Generate(prompts, options).ToList();
        var policy = new FullUpdate(DecoderParameters<float>.FromWeights(FolderWeights.Read(models.Dir("qwen2"))));
        // Advantages of both signs stand in for scored ones.
        var step = policy.Step(rollouts.Select((r, i) => new PolicySample(r.PromptTokenIds, r.TokenIds,
            r.TokenIds.Select((_, t) => (i + t) % 3 == 0 ? -1f : 0.5f).ToArray())).ToList(), temperature: 0.8, learningRate: 1e-2);
        Assert.True(step.UpdateNorm > 0);

        engine.UpdateWeights(policy.Tensors);

        var dir = Path.Combine(RepoPaths.NewTempDir("policy-loop"), "qwen2");
        PolicyFolderWriter.Write(policy.Parameters.ToWeights(), models.Dir("qwen2"), dir);
        using var fresh = RolloutEngine.Open(dir);
        var expected = fresh.Generate(prompts, options).ToList();
        var actual = engine.Generate(prompts, options).ToList();
        // The same seed samples other tokens (or at least other log-probabilities) from the updated weights.
        Assert.NotEqual(rollouts.SelectMany(r => r.Logprobs), actual.SelectMany(r => r.Logprobs));
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].TokenIds, actual[i].TokenIds);
            for (int t = 0; t < expected[i].Logprobs.Length; t++) Assert.Equal(expected[i].Logprobs[t], actual[i].Logprobs[t], 1e-5);
        }
    }

    [Fact]
    public void Replacing_only_the_head_changes_the_factors_and_keeps_the_rest()
    {
        using var engine = RolloutEngine.Open(models.Dir("llama"));
        var factorsBefore = engine.HeadFactors(L2T);
        var head = models.Weights("llama")[CheckpointLayout.LmHead].Data.Select(w => 2 * w).ToArray();
        engine.UpdateWeights(new Dictionary<string, float[]> { [CheckpointLayout.LmHead] = head });
        var factors = engine.HeadFactors(L2T);
        // The head doubled: the same singular vectors, twice the singular values.
        for (int k = 0; k < factors.Rank; k++)
            Assert.True(Math.Abs(factors.Singular[k] - 2 * factorsBefore.Singular[k]) <= 1e-4 * factorsBefore.Singular[0], $"σ_{k}");
    }

    [Fact]
    public void Unknown_names_and_wrong_sizes_are_refused_and_the_engine_keeps_its_weights()
    {
        using var engine = RolloutEngine.Open(models.Dir("llama"));
        var prompts = engine.Encode([new Prompt("p", Texts[0], null, null, null)]);
        var before = engine.Generate(prompts, Greedy).Single().TokenIds;
        var unknown = Assert.Throws<InputException>(() => engine.UpdateWeights(new Dictionary<string, float[]> { ["no.such.weight"] = [1f] }));
        Assert.Contains("no.such.weight", unknown.Message);
        var size = Assert.Throws<InputException>(() => engine.UpdateWeights(new Dictionary<string, float[]> { [CheckpointLayout.LmHead] = [1f, 2f] }));
        Assert.Contains(CheckpointLayout.LmHead, size.Message);
        Assert.Equal(before, engine.Generate(prompts, Greedy).Single().TokenIds);
    }
}
