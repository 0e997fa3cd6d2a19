using Onnx;

namespace Rollout.Engine.Model;

/// <summary>
/// Where the output head sits in a decoder graph: the activation it reads (the final hidden
/// states, after the last norm) and the weight it multiplies by. Real exports only output logits,
/// but the L2T step features need h_t, so <see cref="ExposeHiddenStates"/> adds the head's input
/// as a graph output. ONNX Runtime computes it anyway; exposing it costs nothing.
/// </summary>
/// <param name="ReadsSequence">Whether the head multiplies the [batch, sequence, hidden] activation itself (no
/// reshape between it and the logits), so <see cref="SelectPositions"/> can pick positions in front of it.</param>
/// <param name="SelectsPositions">Whether <see cref="SelectPositions"/> has put <see cref="PositionsInput"/> in front of the head.</param>
/// <param name="StoredHash">The hash of the head's stored values (<see cref="HashStored"/>) when the session read them at load; else null.</param>
/// <param name="Detached">Whether <see cref="Detach"/> has taken the head's product out of the graph, so the session computes the logits.</param>
internal sealed record OutputHead(string HiddenStates, string Weight, string? Bias, bool ReadsSequence = true, bool SelectsPositions = false,
    UInt128? StoredHash = null, bool Detached = false)
{
    /// <summary>The graph input (int64 [K], indices into a run's new positions) naming the positions that reach the head.</summary>
    public const string PositionsInput = "rollout_output_positions";

    /// <summary>Finds the head by walking back from <c>logits</c> through casts and a bias add to the MatMul/Gemm.</summary>
    public static OutputHead Find(GraphProto graph, string logitsName = "logits")
    {
        var producers = Producers(graph);
        var constants = new ConstantTensors(graph, producers);

        string? bias = null;
        bool reshaped = false;
        var name = logitsName;
        for (int hop = 0; hop < 8; hop++)
        {
            if (!producers.TryGetValue(name, out var node))
                throw new FormatException($"the graph has no node producing '{name}'");
            switch (node.OpType)
            {
                case "Cast" or "Identity" or "Reshape":
                    reshaped |= node.OpType == "Reshape";
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
                    return new OutputHead(activation[0], weight, bias, ReadsSequence: !reshaped && node.OpType != "Gemm");
                default:
                    throw new FormatException($"unexpected op '{node.OpType}' between the output head and '{logitsName}'");
            }
        }
        throw new FormatException($"no MatMul/Gemm found within 8 ops of '{logitsName}'");
    }

    /// <summary>
    /// Puts a Gather over the sequence axis, fed by the new input <see cref="PositionsInput"/>, between the hidden
    /// states and the head, so a run computes logits (and exposes hidden states) only where they are read: a prefill
    /// needs its last position, not [rows, prompt length, V]. Returns the head reading the gathered states; a head
    /// that does not read the sequence activation itself (a reshape or a 2-D Gemm in between) is left as it is.
    /// </summary>
    public OutputHead SelectPositions(GraphProto graph)
    {
        if (!ReadsSequence || SelectsPositions) return this;
        var selected = HiddenStates + "/rollout_selected";
        var head = graph.Node.Single(n => n.Input.Contains(HiddenStates) && n.Input.Contains(Weight));
        for (int i = 0; i < head.Input.Count; i++)
            if (head.Input[i] == HiddenStates) head.Input[i] = selected;
        var gather = new NodeProto { Name = "rollout_select_output_positions", OpType = "Gather" };
        gather.Input.Add(HiddenStates);
        gather.Input.Add(PositionsInput);
        gather.Output.Add(selected);
        gather.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        // Topological order: the Gather right before the head.
        graph.Node.Insert(graph.Node.IndexOf(head), gather);
        var positions = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Int64, Shape = new TensorShapeProto() };
        positions.Shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "output_positions" });
        graph.Input.Add(new ValueInfoProto { Name = PositionsInput, Type = new TypeProto { TensorType = positions } });
        var known = graph.ValueInfo.FirstOrDefault(v => v.Name == HiddenStates);
        if (known != null) graph.ValueInfo.Add(new ValueInfoProto { Name = selected, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = known.Type.TensorType.ElemType } } });
        return this with { HiddenStates = selected, SelectsPositions = true };
    }

    /// <summary>
    /// Whether the logits can be computed outside the graph from <see cref="HiddenStates"/> (<see cref="HostHead"/>): a
    /// MatMul over the sequence activation with float32 logits, its weight an initializer (through casts and transposes)
    /// and its bias, if any, an initializer too.
    /// </summary>
    public bool CanDetach(GraphProto graph, string onnxPath, string logitsName = "logits")
    {
        var initializers = graph.Initializer.Select(t => t.Name).ToHashSet();
        var logits = graph.Output.FirstOrDefault(o => o.Name == logitsName);
        if (!ReadsSequence || logits?.Type?.TensorType?.ElemType != (int)TensorProto.Types.DataType.Float) return false;
        if (Bias != null && !initializers.Contains(Bias)) return false;
        if (graph.Node.FirstOrDefault(n => n.Input.Contains(HiddenStates) && n.Input.Contains(Weight)) is not { OpType: "MatMul" }) return false;
        // A Cast on the way means the product runs in another type (an fp16 head): the graph's then.
        var producers = Producers(graph);
        for (var name = logitsName; producers.TryGetValue(name, out var node) && node.OpType != "MatMul";
             name = node.OpType == "Add" ? node.Input.First(i => i != Bias) : node.Input[0])
            if (node.OpType == "Cast") return false;
        try { StoredWeight(graph, Weight, initializers.Contains, onnxPath); }
        catch (InputException) { return false; }
        return true;
    }

    /// <summary>
    /// Takes the head's product out of the graph (<see cref="CanDetach"/> first): the nodes from its MatMul to the logits,
    /// the logits output, and every node that fed only them (a Transpose of a tied embedding would otherwise still run).
    /// The session then computes the logits from <see cref="HiddenStates"/>, which must be an output.
    /// </summary>
    public OutputHead Detach(GraphProto graph, string logitsName = "logits")
    {
        var producers = Producers(graph);
        // The path from the logits back to the MatMul, as Find walked it.
        var name = logitsName;
        while (producers.TryGetValue(name, out var node))
        {
            graph.Node.Remove(node);
            if (node.Input.Contains(HiddenStates) && node.Input.Contains(Weight)) break;
            name = node.OpType == "Add" ? node.Input.First(i => i != Bias) : node.Input[0];
        }
        graph.Output.Remove(graph.Output.Single(o => o.Name == logitsName));
        // Nodes none of whose outputs anything reads, until there are none.
        while (true)
        {
            var read = graph.Node.SelectMany(n => n.Input).Concat(graph.Output.Select(o => o.Name)).ToHashSet();
            var dead = graph.Node.Where(n => !n.Output.Any(read.Contains)).ToList();
            if (dead.Count == 0) break;
            foreach (var node in dead) graph.Node.Remove(node);
        }
        return this with { Detached = true };
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

    /// <summary>Each tensor's producing node, by the tensor's name.</summary>
    private static Dictionary<string, NodeProto> Producers(GraphProto graph)
    {
        var producers = new Dictionary<string, NodeProto>();
        foreach (var node in graph.Node)
            foreach (var output in node.Output) producers[output] = node;
        return producers;
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

    /// <summary>
    /// The initializer the head's weight <paramref name="weight"/> comes from (through casts and transposes), and whether
    /// it is stored [V, d] (transposed for MatMul(h, X), which needs [d, V]).
    /// </summary>
    public static (string Name, bool Transposed) StoredWeight(GraphProto graph, string weight, Func<string, bool> isInitializer, string onnxPath)
    {
        var producers = Producers(graph);

        // Gemm with transB=1 multiplies by the transpose of its weight input.
        bool transposed = graph.Node.Any(n =>
            n.OpType == "Gemm" && n.Input.Count > 1 && n.Input[1] == weight && n.Attribute.Any(a => a.Name == "transB" && a.I == 1));
        var name = weight;
        while (!isInitializer(name))
        {
            if (!producers.TryGetValue(name, out var node))
                throw new InputException($"{onnxPath}: the head weight '{weight}' does not come from an initializer");
            switch (node.OpType)
            {
                case "Cast" or "Identity":
                    break;
                case "Transpose":
                    transposed = !transposed;
                    break;
                default:
                    throw new InputException($"{onnxPath}: cannot read the head weight through a '{node.OpType}' node (quantized heads are not supported)");
            }
            name = node.Input[0];
        }
        return (name, transposed);
    }

    /// <summary>The key of a head's stored values (the bytes of a float32 tensor as stored), their layout folded in: what its cached factors are found by.</summary>
    public static UInt128 HashStored(ReadOnlySpan<byte> stored, bool storedAsColumns) =>
        System.IO.Hashing.XxHash128.HashToUInt128(stored, seed: storedAsColumns ? 1 : 0);
}
