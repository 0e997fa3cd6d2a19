using Rollout.Engine;
using Rollout.Engine.Model;

namespace Rollout.Models.Weights;

/// <summary>
/// The weights of a model folder read back from its ONNX graph, where the initializers carry the checkpoint's
/// names and shapes (<see cref="Onnx.DecoderGraphWriter"/>'s graphs: new, trained, converted or policy folders).
/// </summary>
public static class FolderWeights
{
    public static ModelWeights Read(string modelDir)
    {
        var folder = Engine.Model.ModelFolder.Open(modelDir);
        var initializers = OnnxInitializers.Open(folder.OnnxPath);
        var expected = CheckpointLayout.Expected(folder.Config);
        var missing = expected.Where(e => !initializers.Contains(e.Name)).Select(e => e.Name).ToList();
        if (missing.Count > 0)
            throw new InputException($"{modelDir}: the ONNX graph has no initializer '{missing[0]}'" +
                (missing.Count > 1 ? $" (nor {missing.Count - 1} more of the checkpoint's tensors)" : "") +
                ": only graphs whose weights carry the checkpoint's names (as this project writes them) can be read back");
        var tensors = new Dictionary<string, WeightTensor>();
        foreach (var (name, shape) in expected)
        {
            var dims = initializers.Shape(name);
            if (!dims.SequenceEqual(shape.Select(d => (long)d)))
                throw new InputException($"{modelDir}: initializer '{name}' is [{string.Join(", ", dims)}], config.json implies [{string.Join(", ", shape)}]");
            tensors[name] = new WeightTensor(shape, initializers.Read(name));
        }
        return new ModelWeights(folder.Config, tensors);
    }
}
