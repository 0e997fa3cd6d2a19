using Onnx;
using Rollout.Engine.Model;

namespace Rollout.Engine.Features;

/// <summary>
/// Reads the output head W (V×d, row v = the weights of token v) from the ONNX initializer that
/// feeds the logits. Exports store it either as [d, V] for MatMul or as [V, d] behind a Transpose
/// (or Gemm transB, or the tied embedding); Casts from fp16 are looked through, and external data
/// is read from beside the model. Only the head's bytes are read (<see cref="GraphOutline"/>): the session
/// already holds the model, and a second whole copy would double the memory at the first L2T step.
/// </summary>
public static class HeadWeights
{
    public static float[] Read(string onnxPath, int vocab, int hidden)
    {
        GraphOutline outline;
        try { outline = GraphOutline.Read(onnxPath); }
        catch (InvalidDataException e) { throw new InputException($"{onnxPath}: not an ONNX model ({e.Message})"); }
        var graph = outline.Graph;
        var head = OutputHead.Find(graph);
        var producers = new Dictionary<string, NodeProto>();
        foreach (var node in graph.Node)
            foreach (var output in node.Output) producers[output] = node;
        var initializers = graph.Initializer.ToDictionary(t => t.Name);

        // Gemm with transB=1 multiplies by the transpose of its weight input.
        bool transposed = graph.Node.Any(n =>
            n.OpType == "Gemm" && n.Input.Count > 1 && n.Input[1] == head.Weight && n.Attribute.Any(a => a.Name == "transB" && a.I == 1));
        var name = head.Weight;
        while (!initializers.ContainsKey(name))
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

        var tensor = initializers[name];
        var data = TensorData(tensor, outline.InlineBytes(onnxPath, name), Path.GetDirectoryName(Path.GetFullPath(onnxPath))!, onnxPath);
        var dims = tensor.Dims.ToArray();
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

    /// <param name="inline">The tensor's bytes when they are inside the model file (raw_data, or packed float_data).</param>
    private static float[] TensorData(TensorProto tensor, byte[]? inline, string modelDir, string onnxPath)
    {
        byte[] raw;
        if (tensor.DataLocation == TensorProto.Types.DataLocation.External)
        {
            var info = tensor.ExternalData.ToDictionary(e => e.Key, e => e.Value);
            long offset = info.TryGetValue("offset", out var o) ? long.Parse(o) : 0;
            using var file = File.OpenRead(Path.Combine(modelDir, info["location"]));
            long length = info.TryGetValue("length", out var l) ? long.Parse(l) : file.Length - offset;
            raw = new byte[length];
            file.Position = offset;
            file.ReadExactly(raw);
        }
        else raw = inline ?? throw new InputException($"{onnxPath}: head weight '{tensor.Name}' has no data");

        return (TensorProto.Types.DataType)tensor.DataType switch
        {
            TensorProto.Types.DataType.Float => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(raw).ToArray(),
            TensorProto.Types.DataType.Float16 => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, Half>(raw).ToArray().Select(h => (float)h).ToArray(),
            var other => throw new InputException($"{onnxPath}: head weight '{tensor.Name}' has element type {other}, expected float or float16"),
        };
    }
}
