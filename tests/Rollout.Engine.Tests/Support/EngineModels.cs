using Rollout.Engine.Model;
using Rollout.Models.ModelFolder;
using Rollout.Models.Onnx;
using Rollout.Models.Weights;
using Rollout.Tests;

namespace Rollout.Engine.Tests.Support;

/// <summary>
/// One tiny model folder per family, written once for the whole test assembly by the model writer,
/// with the same seeded weights rebuilt in memory for the float64 reference.
/// </summary>
public sealed class EngineModels : IDisposable
{
    public const int Seed = 11;
    private readonly string _root = RepoPaths.NewTempDir("engine-models");
    private readonly Dictionary<string, (string Dir, ModelWeights Weights)> _models = new();

    public EngineModels()
    {
        Add("gpt2", Architecture.Gpt2, hidden: 32, heads: 4, kvHeads: 4, intermediate: 128);
        Add("llama", Architecture.Llama, hidden: 32, heads: 4, kvHeads: 2, intermediate: 64);
        Add("qwen2", Architecture.Qwen2, hidden: 48, heads: 6, kvHeads: 2, intermediate: 96);
        // Pairs of one seeded model in both layouts; GroupQueryAttention's rotary embedding wants heads of 16.
        foreach (var (name, arch, hidden, heads, kvHeads) in new[] { ("gpt2", Architecture.Gpt2, 32, 2, 2), ("llama", Architecture.Llama, 32, 2, 1), ("qwen2", Architecture.Qwen2, 48, 3, 1) })
        {
            Add(Optimum(name), arch, hidden, heads, kvHeads, intermediate: 2 * hidden);
            AddFused(name);
        }
    }

    /// <summary>The Optimum-layout twin of <see cref="Fused"/>(<paramref name="family"/>).</summary>
    public static string Optimum(string family) => family + "-optimum";

    /// <summary>A <paramref name="family"/> model in the fused layout (GroupQueryAttention over one in-place KV buffer), with the weights of <see cref="Optimum"/>(<paramref name="family"/>).</summary>
    public static string Fused(string family) => family + "-fused";

    public static readonly TheoryData<string> Names = ["gpt2", "llama", "qwen2"];

    public string Dir(string name) => _models[name].Dir;
    public ModelWeights Weights(string name) => _models[name].Weights;

    /// <summary>A fresh folder like <paramref name="name"/>'s but with a short context window.</summary>
    public string WithContextWindow(string name, int maxPositions)
    {
        var dir = Path.Combine(_root, $"{name}-ctx{maxPositions}");
        if (!Directory.Exists(dir))
        {
            var c = _models[name].Weights.Config;
            NewModel.Write(c.Architecture, c.Layers, c.Hidden, c.Heads, c.KvHeads, c.Intermediate, c.VocabSize, Seed, dir, WeightDtype.Float32, maxPositions);
        }
        return dir;
    }

    private void Add(string name, Architecture arch, int hidden, int heads, int kvHeads, int intermediate)
    {
        var dir = Path.Combine(_root, name);
        var config = NewModel.Write(arch, layers: 2, hidden, heads, kvHeads, intermediate, vocab: 400, Seed, dir, WeightDtype.Float32, maxPositions: 128);
        _models[name] = (dir, RandomWeights.Create(config, Seed));
    }

    private void AddFused(string name)
    {
        var (_, weights) = _models[Optimum(name)];
        var c = weights.Config;
        var dir = Path.Combine(_root, Fused(name));
        NewModel.Write(c.Architecture, c.Layers, c.Hidden, c.Heads, c.KvHeads, c.Intermediate, c.VocabSize, Seed, dir, WeightDtype.Float32,
            c.MaxPositions, DecoderGraphLayout.Fused);
        _models[Fused(name)] = (dir, weights);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}

[CollectionDefinition(Name)]
public sealed class EngineModelsCollection : ICollectionFixture<EngineModels>
{
    public const string Name = "engine models";
}
