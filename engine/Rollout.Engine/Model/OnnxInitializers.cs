using System.Runtime.InteropServices;
using Onnx;
using Rollout.Engine.Features;

namespace Rollout.Engine.Model;

/// <summary>
/// The initializers (weights) of an ONNX model file, read one at a time by name without loading the rest: inline
/// (raw_data or packed float_data) or external data beside the model; float16 is widened to float32.
/// </summary>
public sealed class OnnxInitializers
{
    private readonly GraphOutline _outline;
    private readonly Dictionary<string, TensorProto> _tensors;

    public string OnnxPath { get; }

    private OnnxInitializers(string onnxPath, GraphOutline outline)
    {
        OnnxPath = onnxPath;
        _outline = outline;
        _tensors = outline.Graph.Initializer.ToDictionary(t => t.Name);
    }

    public static OnnxInitializers Open(string onnxPath)
    {
        if (!File.Exists(onnxPath)) throw new InputException($"{onnxPath}: ONNX model not found");
        try { return new OnnxInitializers(onnxPath, GraphOutline.Read(onnxPath)); }
        catch (InvalidDataException e) { throw new InputException($"{onnxPath}: not an ONNX model ({e.Message})"); }
    }

    /// <summary>The graph's nodes and inputs, and its initializers without their data.</summary>
    internal GraphProto Graph => _outline.Graph;

    public IReadOnlyCollection<string> Names => _tensors.Keys;

    public bool Contains(string name) => _tensors.ContainsKey(name);

    public long[] Shape(string name) => Tensor(name).Dims.ToArray();

    /// <summary>Whether the initializer is stored as float32 (else it is widened on reading, or cannot be read).</summary>
    public bool IsFloat32(string name) => Tensor(name).DataType == (int)TensorProto.Types.DataType.Float;

    /// <summary>The initializer's values, row-major, as float32: float32 data is read straight into the array, with no copy between.</summary>
    public float[] Read(string name)
    {
        var (stream, count) = OpenValues(name);
        using (stream)
        {
            var values = new float[count];
            ReadInto(stream, name, values);
            return values;
        }
    }

    /// <summary>
    /// The initializer's values a block of rows (of its last dimension) at a time, row-major, into one buffer reused
    /// for every block: for packing a large tensor elsewhere without a whole copy of it beside the packed one.
    /// </summary>
    /// <param name="each">Called with the block's first row and its values (<paramref name="rowsPerBlock"/> rows, fewer in the last block).</param>
    public void ReadRows(string name, int rowsPerBlock, Action<int, ReadOnlySpan<float>> each)
    {
        var dims = Shape(name);
        long columns = dims.Length == 0 ? 1 : dims[^1];
        var (stream, count) = OpenValues(name);
        using (stream)
        {
            long rows = columns == 0 ? 0 : count / columns;
            var buffer = new float[Math.Min(rows, rowsPerBlock) * columns];
            for (long first = 0; first < rows; first += rowsPerBlock)
            {
                var block = buffer.AsSpan(0, (int)(Math.Min(rowsPerBlock, rows - first) * columns));
                ReadInto(stream, name, block);
                each((int)first, block);
            }
        }
    }

    /// <summary>A stream at the initializer's first value, and how many values it has.</summary>
    private (FileStream Stream, long Count) OpenValues(string name)
    {
        var tensor = Tensor(name);
        string file;
        long offset, length;
        if (tensor.DataLocation == TensorProto.Types.DataLocation.External)
        {
            var info = tensor.ExternalData.ToDictionary(e => e.Key, e => e.Value);
            file = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(OnnxPath))!, info["location"]);
            offset = info.TryGetValue("offset", out var o) ? long.Parse(o) : 0;
            length = info.TryGetValue("length", out var l) ? long.Parse(l) : new FileInfo(file).Length - offset;
        }
        else
        {
            (offset, length) = _outline.Inline(name) ?? throw new InputException($"{OnnxPath}: initializer '{name}' has no data");
            file = OnnxPath;
        }
        long size = (TensorProto.Types.DataType)tensor.DataType switch
        {
            TensorProto.Types.DataType.Float => sizeof(float),
            TensorProto.Types.DataType.Float16 => 2,
            var other => throw new InputException($"{OnnxPath}: initializer '{name}' has element type {other}, expected float or float16"),
        };
        var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0) { Position = offset };
        return (stream, length / size);
    }

    /// <summary>The next values.Length values of the initializer from <paramref name="stream"/>, float16 widened.</summary>
    private void ReadInto(FileStream stream, string name, Span<float> values)
    {
        if (Tensor(name).DataType == (int)TensorProto.Types.DataType.Float)
        {
            stream.ReadExactly(MemoryMarshal.AsBytes(values));
            return;
        }
        var halves = new Half[values.Length];
        stream.ReadExactly(MemoryMarshal.AsBytes(halves.AsSpan()));
        for (int i = 0; i < halves.Length; i++) values[i] = (float)halves[i];
    }

    private TensorProto Tensor(string name) =>
        _tensors.TryGetValue(name, out var t) ? t : throw new InputException($"{OnnxPath}: no initializer named '{name}'");
}
