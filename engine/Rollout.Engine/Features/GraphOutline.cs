using Onnx;

namespace Rollout.Engine.Features;

/// <summary>
/// An ONNX model's graph without its weights' bytes: the nodes and graph inputs, and each initializer's name, type,
/// dims and external-data entries, with where its inline bytes (raw_data, or packed float_data) lie in the file. So
/// one weight can be read alone, instead of a second copy of the whole model beside the one ONNX Runtime holds.
/// The protobuf wire format is walked by hand for the three messages involved; everything else is skipped.
/// </summary>
internal sealed class GraphOutline
{
    // Field numbers of onnx.proto3: ModelProto.graph; GraphProto.node/initializer/input;
    // TensorProto.dims/data_type/float_data/name/raw_data/external_data/data_location.
    private const int ModelGraph = 7, GraphNode = 1, GraphInitializer = 5, GraphInput = 11;
    private const int TensorDims = 1, TensorDataType = 2, TensorFloatData = 4, TensorName = 8, TensorRawData = 9,
        TensorExternalData = 13, TensorDataLocation = 14;
    private const int WireVarint = 0, WireFixed64 = 1, WireLength = 2, WireFixed32 = 5;

    private readonly Dictionary<string, (long Offset, long Length)> _inline = new();

    /// <summary>Nodes, inputs and data-less initializers.</summary>
    public GraphProto Graph { get; } = new();

    private GraphOutline() { }

    public static GraphOutline Read(string onnxPath)
    {
        var outline = new GraphOutline();
        using var stream = new BufferedStream(File.OpenRead(onnxPath), 1 << 16);
        var reader = new WireReader(stream);
        while (reader.Position < stream.Length)
        {
            var (field, wire) = reader.Tag();
            if (field == ModelGraph && wire == WireLength) outline.ReadGraph(reader, reader.End());
            else reader.Skip(wire);
        }
        return outline;
    }

    /// <summary>Where the inline bytes of initializer <paramref name="name"/> (raw_data, or float_data as little-endian floats) lie in the file; null when it has none.</summary>
    public (long Offset, long Length)? Inline(string name) => _inline.TryGetValue(name, out var at) ? at : null;

    private void ReadGraph(WireReader reader, long end)
    {
        while (reader.Position < end)
        {
            var (field, wire) = reader.Tag();
            if (wire != WireLength) { reader.Skip(wire); continue; }
            switch (field)
            {
                case GraphNode: Graph.Node.Add(NodeProto.Parser.ParseFrom(reader.Bytes())); break;
                case GraphInput: Graph.Input.Add(ValueInfoProto.Parser.ParseFrom(reader.Bytes())); break;
                case GraphInitializer: Graph.Initializer.Add(ReadTensor(reader, reader.End())); break;
                default: reader.Skip(wire); break;
            }
        }
    }

    private TensorProto ReadTensor(WireReader reader, long end)
    {
        var tensor = new TensorProto();
        (long Offset, long Length)? inline = null;
        while (reader.Position < end)
        {
            var (field, wire) = reader.Tag();
            switch (field, wire)
            {
                case (TensorDims, WireVarint): tensor.Dims.Add((long)reader.Varint()); break;
                case (TensorDims, WireLength):
                    for (long stop = reader.End(); reader.Position < stop;) tensor.Dims.Add((long)reader.Varint());
                    break;
                case (TensorDataType, WireVarint): tensor.DataType = (int)reader.Varint(); break;
                case (TensorName, WireLength): tensor.Name = System.Text.Encoding.UTF8.GetString(reader.Bytes()); break;
                case (TensorRawData or TensorFloatData, WireLength):
                    long length = reader.Length();
                    inline = (reader.Position, length);
                    reader.Seek(reader.Position + length);
                    break;
                case (TensorExternalData, WireLength): tensor.ExternalData.Add(StringStringEntryProto.Parser.ParseFrom(reader.Bytes())); break;
                case (TensorDataLocation, WireVarint): tensor.DataLocation = (TensorProto.Types.DataLocation)reader.Varint(); break;
                default: reader.Skip(wire); break;
            }
        }
        if (inline is { } at) _inline[tensor.Name] = at;
        return tensor;
    }

    /// <summary>Reads protobuf's wire format from a seekable stream.</summary>
    private sealed class WireReader(Stream stream)
    {
        public long Position => stream.Position;

        public (int Field, int Wire) Tag()
        {
            ulong tag = Varint();
            return ((int)(tag >> 3), (int)(tag & 7));
        }

        public ulong Varint()
        {
            ulong value = 0;
            for (int shift = 0; shift < 64; shift += 7)
            {
                int b = stream.ReadByte();
                if (b < 0) throw new InvalidDataException("the file ends inside a varint");
                value |= (ulong)(b & 0x7F) << shift;
                if ((b & 0x80) == 0) return value;
            }
            throw new InvalidDataException("a varint longer than 10 bytes");
        }

        /// <summary>A length prefix.</summary>
        public long Length() => checked((long)Varint());

        /// <summary>Reads a length prefix and returns where the field it announces ends.</summary>
        public long End()
        {
            long length = Length();
            return Position + length;
        }

        public byte[] Bytes()
        {
            var bytes = new byte[checked((int)Length())];
            stream.ReadExactly(bytes);
            return bytes;
        }

        public void Seek(long position) => stream.Position = position;

        public void Skip(int wire)
        {
            switch (wire)
            {
                case WireVarint: Varint(); break;
                case WireFixed64: Seek(Position + 8); break;
                case WireLength: Seek(End()); break;
                case WireFixed32: Seek(Position + 4); break;
                default: throw new InvalidDataException($"protobuf wire type {wire} is not one ONNX files use");
            }
        }
    }
}
