using Rollout.Engine.Model;

namespace Rollout.Models.Weights;

/// <summary>A model's configuration and its checkpoint tensors, keyed by Hugging Face names.</summary>
public sealed class ModelWeights
{
    public ModelConfig Config { get; }
    public IReadOnlyDictionary<string, WeightTensor> Tensors { get; }

    /// <summary>Keeps exactly the tensors <see cref="CheckpointLayout.Expected"/> lists; throws if one is missing or misshapen.</summary>
    public ModelWeights(ModelConfig config, IReadOnlyDictionary<string, WeightTensor> tensors)
    {
        if (FindProblem(config, tensors) is string problem) throw new ArgumentException(problem);
        Config = config;
        Tensors = CheckpointLayout.Expected(config).ToDictionary(e => e.Name, e => tensors[e.Name]);
    }

    public WeightTensor this[string name] =>
        Tensors.TryGetValue(name, out var t) ? t : throw new KeyNotFoundException($"no tensor '{name}'");

    /// <summary>The [vocab, hidden] matrix of the output head (the embedding when tied).</summary>
    public WeightTensor OutputHead => this[CheckpointLayout.OutputHeadName(Config)];

    /// <summary>
    /// These weights with another output head ([vocab, hidden]); a tied head is untied first (the embedding keeps its
    /// values and the head becomes <c>lm_head.weight</c>), so the embedding does not change with it.
    /// </summary>
    public ModelWeights WithOutputHead(float[] head)
    {
        var tensors = Tensors.ToDictionary();
        var config = Config with { TieWordEmbeddings = false };
        tensors[CheckpointLayout.OutputHeadName(config)] = new WeightTensor([Config.VocabSize, Config.Hidden], head);
        return new ModelWeights(config, tensors);
    }

    /// <summary>The first missing or misshapen tensor, as a message; null when all are present.</summary>
    public static string? FindProblem(ModelConfig config, IReadOnlyDictionary<string, WeightTensor> tensors)
    {
        foreach (var (name, shape) in CheckpointLayout.Expected(config))
        {
            if (!tensors.TryGetValue(name, out var t)) return $"tensor '{name}' is missing";
            if (!t.Shape.SequenceEqual(shape))
                return $"tensor '{name}' has shape {t.ShapeText}, config.json implies [{string.Join(", ", shape)}]";
        }
        return null;
    }
}
