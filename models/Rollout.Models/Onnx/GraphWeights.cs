using Rollout.Engine.Model;
using Rollout.Models.Weights;

namespace Rollout.Models.Onnx;

/// <summary>Checkpoint tensors as graph values: each becomes one initializer, however often the graph reads it (tied heads share the embedding).</summary>
internal sealed class GraphWeights(GraphBuilder g, ModelWeights weights)
{
    /// <summary>Checkpoint name → graph value of the initializers added so far.</summary>
    private readonly Dictionary<string, string> _loaded = [];

    public ModelConfig Config => weights.Config;

    public string this[string name]
    {
        get
        {
            if (_loaded.TryGetValue(name, out var value)) return value;
            var t = weights[name];
            return _loaded[name] = g.Weight(name, t.Shape, t.Data);
        }
    }
}
