using Onnx;

namespace Rollout.Engine.Model;

/// <summary>
/// Where the output head sits in a decoder graph: the activation it reads (the final hidden
/// states, after the last norm) and the weight it multiplies by. Real exports only output logits,
/// but the L2T step features need h_t, so <see cref="ExposeHiddenStates"/> adds the head's input
/// as a graph output. ONNX Runtime computes it anyway; exposing it costs nothing.
/// </summary>
public sealed record OutputHead(string HiddenStates, string Weight, string? Bias)
{
    /// <summary>Finds the head by walking back from <c>logits</c> through casts and a bias add to the MatMul/Gemm.</summary>
    public static OutputHead Find(GraphProto graph, string logitsName = "logits")
    {
        var producers = new Dictionary<string, NodeProto>();
        foreach (var node in graph.Node)
            foreach (var output in node.Output) producers[output] = node;
        var constants = new ConstantTensors(graph, producers);

        string? bias = null;
        var name = logitsName;
        for (int hop = 0; hop < 8; hop++)
        {
            if (!producers.TryGetValue(name, out var node))
                throw new FormatException($"the graph has no node producing '{name}'");
            switch (node.OpType)
            {
                case "Cast" or "Identity" or "Reshape":
                    name = node.Input[0];
                    continue;
                case "Add":
                    bias = node.Input.FirstOrDefault(constants.IsConstant);
                    name = node.Input.First(i => !constants.IsConstant(i));
                    continue;
                case "MatMul" or "Gemm" or "MatMulNBits" or "MatMulInteger":
                    var activation = node.Input.Take(2).Where(i => !constants.IsConstant(i)).ToList();
                    if (activation.Count != 1)
                        throw new FormatException($"the head node '{node.Name}' has no single activation input");
                    var weight = node.Input.Take(2).First(i => i != activation[0]);
                    if (node.OpType == "Gemm" && node.Input.Count > 2) bias ??= node.Input[2];
                    return new OutputHead(activation[0], weight, bias);
                default:
                    throw new FormatException($"unexpected op '{node.OpType}' between the output head and '{logitsName}'");
            }
        }
        throw new FormatException($"no MatMul/Gemm found within 8 ops of '{logitsName}'");
    }

    /// <summary>Adds <see cref="HiddenStates"/> as a graph output unless it already is one.</summary>
    public void ExposeHiddenStates(GraphProto graph)
    {
        if (graph.Output.Any(o => o.Name == HiddenStates)) return;
        var known = graph.ValueInfo.FirstOrDefault(v => v.Name == HiddenStates);
        var elemType = known?.Type?.TensorType?.ElemType ?? (int)TensorProto.Types.DataType.Float;
        graph.Output.Add(new ValueInfoProto
        {
            Name = HiddenStates,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = elemType } },
        });
    }

    /// <summary>Memoised "depends only on initializers and Constant nodes" test.</summary>
    private sealed class ConstantTensors(GraphProto graph, Dictionary<string, NodeProto> producers)
    {
        private readonly HashSet<string> _initializers = graph.Initializer.Select(t => t.Name).ToHashSet();
        private readonly HashSet<string> _inputs = graph.Input.Select(v => v.Name).ToHashSet();
        private readonly Dictionary<string, bool> _memo = new();

        public bool IsConstant(string name)
        {
            if (_memo.TryGetValue(name, out var known)) return known;
            _memo[name] = false; // breaks cycles; graphs are DAGs, so only defensive
            bool result = _initializers.Contains(name) && !_inputs.Contains(name)
                || producers.TryGetValue(name, out var node)
                   && (node.OpType == "Constant" || node.Input.Count > 0 && node.Input.Where(i => i.Length > 0).All(IsConstant));
            return _memo[name] = result;
        }
    }
}
