using Rollout.Models.Reference;
using Rollout.Models.Tests.Support;
using Rollout.Models.Weights;

namespace Rollout.Models.Tests;

public class RandomWeightsTests
{
    [Theory]
    [MemberData(nameof(TinyModels.Names), MemberType = typeof(TinyModels))]
    public void NextTokenDistributionsArePeakedNotUniform(string arch)
    {
        var config = TinyModels.ByName(arch);
        var weights = RandomWeights.Create(config, seed: 31);
        var rng = new Random(7);
        double sumTop1 = 0;
        int rows = 0;
        for (int context = 0; context < 10; context++)
        {
            var tokens = Enumerable.Range(0, 6).Select(_ => rng.Next(config.VocabSize)).ToArray();
            foreach (var logits in ReferenceForward.Run(weights, tokens).Logits)
            {
                double max = logits.Max();
                sumTop1 += 1 / logits.Sum(l => Math.Exp(l - max));
                rows++;
            }
        }
        double meanTop1 = sumTop1 / rows;
        // Uniform would give 1/V ≈ 0.003; a peaked model puts a sizeable share on its top token, yet is not one-hot.
        Assert.InRange(meanTop1, 30.0 / config.VocabSize, 0.95);
    }

    [Fact]
    public void SameSeedSameWeightsOtherSeedOtherWeights()
    {
        var a = RandomWeights.Create(TinyModels.Qwen2, 1);
        var b = RandomWeights.Create(TinyModels.Qwen2, 1);
        var c = RandomWeights.Create(TinyModels.Qwen2, 2);
        Assert.All(a.Tensors, kv => Assert.Equal(kv.Value.Data, b[kv.Key].Data));
        Assert.NotEqual(a["model.norm.weight"].Data, c["model.norm.weight"].Data);
    }

    [Theory]
    [MemberData(nameof(TinyModels.Names), MemberType = typeof(TinyModels))]
    public void HoldsExactlyTheCheckpointTensorsWithHuggingFaceShapes(string arch)
    {
        var config = TinyModels.ByName(arch);
        var weights = RandomWeights.Create(config, 1);
        // Hand-written spot checks of the HF layouts: Conv1D is [in, out], nn.Linear is [out, in].
        var expected = arch switch
        {
            "gpt2" => new Dictionary<string, int[]> { ["transformer.h.1.attn.c_attn.weight"] = [32, 96], ["transformer.h.0.mlp.c_proj.weight"] = [128, 32], ["transformer.wpe.weight"] = [64, 32] },
            "llama" => new() { ["model.layers.1.self_attn.k_proj.weight"] = [16, 32], ["model.layers.0.mlp.down_proj.weight"] = [32, 64], ["lm_head.weight"] = [300, 32] },
            _ => new() { ["model.layers.1.self_attn.v_proj.bias"] = [16], ["model.layers.0.self_attn.o_proj.weight"] = [48, 48], ["model.embed_tokens.weight"] = [320, 48] },
        };
        foreach (var (name, shape) in expected) Assert.Equal(shape, weights[name].Shape);
        int perLayer = arch switch { "gpt2" => 12, "llama" => 9, _ => 12 };
        int global = arch switch { "gpt2" => 4, "llama" => 3, _ => 2 };
        Assert.Equal(config.Layers * perLayer + global, weights.Tensors.Count);
    }
}
