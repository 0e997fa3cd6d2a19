using System.Numerics;
using Rollout.Engine.Model;
using Rollout.Models.Weights;

namespace Rollout.Models.Training.Decoder;

/// <summary>
/// All trainable tensors of a Llama / Qwen2 decoder, named and shaped as its Hugging Face checkpoint
/// (<see cref="CheckpointLayout.Expected"/>). With tied embeddings the head is the embedding tensor itself.
/// </summary>
public sealed class DecoderParameters<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public ModelConfig Config { get; }
    public Parameter<T> Embedding { get; }
    public LayerParameters<T>[] Layers { get; }
    public Parameter<T> FinalNorm { get; }
    public Parameter<T> Head { get; }
    /// <summary>Every distinct tensor, in checkpoint order.</summary>
    public IReadOnlyList<Parameter<T>> All { get; }

    private DecoderParameters(ModelConfig config)
    {
        if (config.Architecture == Architecture.Gpt2) throw new ArgumentException("the trainer covers llama and qwen2, not gpt2");
        if (config.HeadDim % 2 != 0) throw new ArgumentException($"rotary embedding needs an even head size (got {config.HeadDim})");
        if (config.Heads % config.KvHeads != 0) throw new ArgumentException($"heads ({config.Heads}) must be a multiple of kv heads ({config.KvHeads})");
        Config = config;
        All = CheckpointLayout.Expected(config).Select(e => new Parameter<T>(e.Name, e.Shape)).ToList();
        var byName = All.ToDictionary(p => p.Name);
        Embedding = byName[CheckpointLayout.EmbeddingName(config)];
        Layers = Enumerable.Range(0, config.Layers).Select(i => new LayerParameters<T>(byName, i, config.AttentionBias)).ToArray();
        FinalNorm = byName["model.norm.weight"];
        Head = byName[CheckpointLayout.OutputHeadName(config)];
    }

    /// <summary>
    /// A fresh model for training: matrices N(0, 0.02²), the projections back into the residual stream
    /// scaled down by √(2·layers) so the stream's variance does not grow with depth (GPT-2's scheme),
    /// norms at 1, biases at 0.
    /// </summary>
    public static DecoderParameters<T> Initialize(ModelConfig config, int seed)
    {
        var model = new DecoderParameters<T>(config);
        var rng = new Random(seed);
        double residualScale = 1 / Math.Sqrt(2.0 * config.Layers);
        foreach (var p in model.All)
        {
            if (p.Shape.Length == 1)
            {
                Array.Fill(p.Value, p.Name.EndsWith("norm.weight") ? T.One : T.Zero);
                continue;
            }
            bool intoResidual = p.Name.EndsWith("o_proj.weight") || p.Name.EndsWith("down_proj.weight");
            double std = 0.02 * (intoResidual ? residualScale : 1);
            for (int i = 0; i < p.Value.Length; i++) p.Value[i] = T.CreateChecked(std * Normal(rng));
        }
        return model;
    }

    public static DecoderParameters<T> FromWeights(ModelWeights weights)
    {
        var model = new DecoderParameters<T>(weights.Config);
        foreach (var p in model.All)
        {
            var data = weights[p.Name].Data;
            for (int i = 0; i < data.Length; i++) p.Value[i] = T.CreateChecked(data[i]);
        }
        return model;
    }

    public ModelWeights ToWeights() => new(Config, All.ToDictionary(p => p.Name,
        p => new WeightTensor(p.Shape, p.Value.Select(float.CreateChecked).ToArray())));

    public void ZeroGradients()
    {
        foreach (var p in All) Array.Clear(p.Grad);
    }

    public long Count => All.Sum(p => (long)p.Value.Length);

    private static double Normal(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
