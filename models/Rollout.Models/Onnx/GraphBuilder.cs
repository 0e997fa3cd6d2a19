using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Rollout.Models.Onnx;

/// <summary>
/// Appends nodes and initializers to an ONNX graph under generated names. Weight data is kept
/// aside until <see cref="OnnxFileWriter"/> decides whether it goes inline or to external data.
/// </summary>
internal sealed class GraphBuilder(WeightDtype dtype)
{
    public GraphProto Graph { get; } = new() { Name = "decoder" };
    public List<(TensorProto Tensor, float[] Data)> Weights { get; } = [];
    private readonly Dictionary<string, string> _constants = [];
    private int _counter;

    /// <summary>Adds a node; returns its single output's name (<paramref name="output"/> when given).</summary>
    public string Op(string opType, string[] inputs, string? output = null, params AttributeProto[] attributes) =>
        OpMulti(opType, inputs, [output ?? $"{opType}_{_counter}"], attributes)[0];

    public string[] OpMulti(string opType, string[] inputs, string[] outputs, params AttributeProto[] attributes) =>
        Add("", opType, inputs, outputs, attributes);

    /// <summary>Adds a node of ONNX Runtime's contrib domain; an empty name is an omitted optional input or output.</summary>
    public string[] MicrosoftOp(string opType, string[] inputs, string[] outputs, params AttributeProto[] attributes) =>
        Add(MicrosoftDomain, opType, inputs, outputs, attributes);

    public const string MicrosoftDomain = "com.microsoft";

    private string[] Add(string domain, string opType, string[] inputs, string[] outputs, AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Domain = domain, Name = $"{opType}_node_{_counter++}" };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        Graph.Node.Add(node);
        return outputs;
    }

    /// <summary>A named weight as a float32 graph value: stored in <c>dtype</c>, cast when that is float16.</summary>
    public string Weight(string name, int[] shape, float[] data)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)(dtype == WeightDtype.Float16 ? DataType.Float16 : DataType.Float) };
        tensor.Dims.AddRange(shape.Select(d => (long)d));
        Graph.Initializer.Add(tensor);
        Weights.Add((tensor, data));
        return dtype == WeightDtype.Float16 ? Op("Cast", [name], name + "_fp32", IntAttr("to", (int)DataType.Float)) : name;
    }

    public string Int64s(params long[] values) => Constant("i64", DataType.Int64, values.Length == 1 ? null : [values.Length],
        MemoryMarshal.AsBytes(values.AsSpan()).ToArray(), string.Join("_", values));

    /// <summary>A rank-0 int64 (as Range and CumSum want).</summary>
    public string Int64Scalar(long value) => Constant("i64s", DataType.Int64, [], BitConverter.GetBytes(value), value.ToString());

    public string Float(float value) => Constant("f32", DataType.Float, [], BitConverter.GetBytes(value), value.ToString("R"));

    public string Floats(float[] values) => Constant("f32v", DataType.Float, [values.Length],
        MemoryMarshal.AsBytes(values.AsSpan()).ToArray(), string.Join("_", values.Select(v => v.ToString("R"))));

    /// <summary>A float32 table under <paramref name="name"/>, kept float32 whatever the weight dtype; not deduplicated.</summary>
    public string FloatTable(string name, float[] data, int rows, int cols)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)DataType.Float, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(data.AsSpan())) };
        tensor.Dims.AddRange([rows, cols]);
        Graph.Initializer.Add(tensor);
        return name;
    }

    /// <summary>Small constants are initializers, deduplicated by value; a null shape means [1].</summary>
    private string Constant(string prefix, DataType type, long[]? shape, byte[] bytes, string key)
    {
        key = $"{prefix}:{key}";
        if (_constants.TryGetValue(key, out var existing)) return existing;
        var name = $"const_{prefix}_{_constants.Count}";
        var tensor = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(bytes) };
        tensor.Dims.AddRange(shape ?? [1]);
        Graph.Initializer.Add(tensor);
        _constants[key] = name;
        return name;
    }

    public void Input(string name, DataType type, params object[] dims) => Graph.Input.Add(ValueInfo(name, type, dims));
    public void Output(string name, DataType type, params object[] dims) => Graph.Output.Add(ValueInfo(name, type, dims));

    /// <summary>Dims are ints (fixed) or strings (symbolic, named as Optimum names them).</summary>
    private static ValueInfoProto ValueInfo(string name, DataType type, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d is string p ? new TensorShapeProto.Types.Dimension { DimParam = p }
                                        : new TensorShapeProto.Types.Dimension { DimValue = (int)d });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    public static AttributeProto IntAttr(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto FloatAttr(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto IntsAttr(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }
}
