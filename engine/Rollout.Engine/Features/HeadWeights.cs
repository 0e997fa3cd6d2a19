using Onnx;
using Rollout.Engine.Model;

namespace Rollout.Engine.Features;

/// <summary>
/// Reads the output head W (V×d, row v = the weights of token v) from the ONNX initializer that
/// feeds the logits. Exports store it either as [d, V] for MatMul or as [V, d] behind a Transpose
/// (or Gemm transB, or the tied embedding); Casts from fp16 are looked through, and external data
/// is read from beside the model. Only the head's bytes are read (<see cref="OnnxInitializers"/>): the session
/// already holds the model, and a second whole copy would double the memory at the first L2T step.
/// </summary>
internal static class HeadWeights
{
    /// <param name="overrides">Initializers the session runs with instead of the file's (<see cref="DecoderSession.UpdateWeights"/>): the head is read from there when it is among them.</param>
    public static float[] Read(string onnxPath, int vocab, int hidden, IReadOnlyDictionary<string, float[]>? overrides = null)
    {
        var initializers = OnnxInitializers.Open(onnxPath);
        var graph = initializers.Graph;
        var head = OutputHead.Find(graph);
        var producers = new Dictionary<string, NodeProto>();
        foreach (var node in graph.Node)
            foreach (var output in node.Output) producers[output] = node;

        // Gemm with transB=1 multiplies by the transpose of its weight input.
        bool transposed = graph.Node.Any(n =>
            n.OpType == "Gemm" && n.Input.Count > 1 && n.Input[1] == head.Weight && n.Attribute.Any(a => a.Name == "transB" && a.I == 1));
        var name = head.Weight;
        while (!initializers.Contains(name))
        {
            if (!producers.TryGetValue(name, out var node))
                throw new InputException($"{onnxPath}: the head weight '{head.Weight}' does not come from an initializer");
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

        var data = overrides != null && overrides.TryGetValue(name, out var replaced) ? replaced : initializers.Read(name);
        var dims = initializers.Shape(name);
        // MatMul(h, X) needs X as [d, V]: an odd number of transposes means the stored tensor is [V, d].
        if (transposed)
        {
            if (dims is not [var v, var d] || v != vocab || d != hidden)
                throw new InputException($"{onnxPath}: head weight '{name}' is [{string.Join(',', dims)}], expected [{vocab},{hidden}]");
            return data;
        }
        if (dims is not [var rows, var cols] || rows != hidden || cols != vocab)
            throw new InputException($"{onnxPath}: head weight '{name}' is [{string.Join(',', dims)}], expected [{hidden},{vocab}]");
        var w = new float[data.Length];
        for (int i = 0; i < hidden; i++)
            for (int j = 0; j < vocab; j++) w[(long)j * hidden + i] = data[(long)i * vocab + j];
        return w;
    }
}
