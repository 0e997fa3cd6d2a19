using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;
using Rollout.Engine;
using Rollout.Models.Weights;

namespace Rollout.Models.Convert;

/// <summary>
/// Reads a .safetensors file: an 8-byte little-endian header length, a JSON header mapping each
/// tensor name to its dtype, shape and byte range, then the raw little-endian data. F32, F16 and
/// BF16 tensors are read, widened to float32.
/// </summary>
public static class SafetensorsFile
{
    /// <summary>Elements converted per read, so a tensor of any size streams through a bounded buffer.</summary>
    private const int ChunkElements = 1 << 22;

    public static Dictionary<string, WeightTensor> Read(string path)
    {
        if (!File.Exists(path)) throw new InputException($"{path}: safetensors file not found");
        using var file = File.OpenRead(path);
        var lengthBytes = new byte[8];
        if (file.Read(lengthBytes) != 8) throw Malformed(path, "shorter than its 8-byte header length");
        long headerLength = BinaryPrimitives.ReadInt64LittleEndian(lengthBytes);
        if (headerLength <= 0 || headerLength > file.Length - 8) throw Malformed(path, $"header length {headerLength} does not fit the file");
        var headerBytes = new byte[headerLength];
        file.ReadExactly(headerBytes);
        long dataStart = 8 + headerLength;

        JsonDocument document;
        try { document = JsonDocument.Parse(headerBytes); }
        catch (JsonException e) { throw Malformed(path, $"header is not JSON ({e.Message})"); }
        using var _ = document;
        var header = document.RootElement;
        if (header.ValueKind != JsonValueKind.Object) throw Malformed(path, "header is not a JSON object");

        var tensors = new Dictionary<string, WeightTensor>();
        foreach (var entry in header.EnumerateObject())
        {
            if (entry.Name == "__metadata__") continue;
            try
            {
                string dtype = entry.Value.GetProperty("dtype").GetString()!;
                int[] shape = entry.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray();
                long[] offsets = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
                int width = dtype switch
                {
                    "F32" => 4,
                    "F16" or "BF16" => 2,
                    _ => throw Malformed(path, $"tensor '{entry.Name}' has dtype {dtype} (F32, F16 and BF16 are supported)"),
                };
                long count = shape.Aggregate(1L, (a, d) => a * d);
                if (offsets.Length != 2 || offsets[1] - offsets[0] != count * width || dataStart + offsets[1] > file.Length)
                    throw Malformed(path, $"tensor '{entry.Name}' byte range [{string.Join(", ", offsets)}] does not match its shape or the file");
                tensors[entry.Name] = new WeightTensor(shape, ReadData(file, dataStart + offsets[0], count, dtype));
            }
            catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
            {
                throw Malformed(path, $"tensor '{entry.Name}' has a bad header entry ({e.Message})");
            }
        }
        return tensors;
    }

    private static float[] ReadData(FileStream file, long offset, long count, string dtype)
    {
        var data = new float[count];
        int width = dtype == "F32" ? 4 : 2;
        var buffer = new byte[(int)Math.Min(count, ChunkElements) * width];
        file.Position = offset;
        for (long done = 0; done < count;)
        {
            int n = (int)Math.Min(ChunkElements, count - done);
            var bytes = buffer.AsSpan(0, n * width);
            file.ReadExactly(bytes);
            var target = data.AsSpan((int)done, n);
            switch (dtype)
            {
                case "F32": MemoryMarshal.Cast<byte, float>(bytes).CopyTo(target); break;
                case "F16":
                    var halves = MemoryMarshal.Cast<byte, Half>(bytes);
                    for (int i = 0; i < n; i++) target[i] = (float)halves[i];
                    break;
                default:
                    // bfloat16 is the high half of a float32.
                    var raw = MemoryMarshal.Cast<byte, ushort>(bytes);
                    for (int i = 0; i < n; i++) target[i] = BitConverter.Int32BitsToSingle(raw[i] << 16);
                    break;
            }
            done += n;
        }
        return data;
    }

    private static InputException Malformed(string path, string problem) => new($"{path}: malformed safetensors: {problem}");
}
