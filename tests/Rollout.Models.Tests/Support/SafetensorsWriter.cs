using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using Rollout.Models.Weights;

namespace Rollout.Models.Tests.Support;

/// <summary>
/// Writes Hugging Face checkpoints for the converter tests, following the safetensors format
/// description (not the reader under test): header length, JSON header, little-endian data.
/// </summary>
internal static class SafetensorsWriter
{
    /// <summary>The value a float becomes when stored as <paramref name="dtype"/> (F32, F16 or BF16, round to nearest even).</summary>
    public static float Round(float x, string dtype) => dtype switch
    {
        "F32" => x,
        "F16" => (float)(Half)x,
        "BF16" => BitConverter.UInt32BitsToSingle((uint)Bf16Bits(x) << 16),
        _ => throw new ArgumentException(dtype),
    };

    public static void Write(string path, IEnumerable<(string Name, WeightTensor Tensor)> tensors, string dtype)
    {
        var header = new JsonObject { ["__metadata__"] = new JsonObject { ["format"] = "pt" } };
        using var data = new MemoryStream();
        foreach (var (name, t) in tensors)
        {
            long begin = data.Length;
            foreach (var x in t.Data) data.Write(Encode(x, dtype));
            header[name] = new JsonObject
            {
                ["dtype"] = dtype,
                ["shape"] = new JsonArray(t.Shape.Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(begin, data.Length),
            };
        }
        var headerBytes = Encoding.UTF8.GetBytes(header.ToJsonString());
        using var file = File.Create(path);
        var length = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(length, headerBytes.Length);
        file.Write(length);
        file.Write(headerBytes);
        data.Position = 0;
        data.CopyTo(file);
    }

    private static byte[] Encode(float x, string dtype)
    {
        var bytes = new byte[dtype == "F32" ? 4 : 2];
        switch (dtype)
        {
            case "F32": BinaryPrimitives.WriteSingleLittleEndian(bytes, x); break;
            case "F16": BinaryPrimitives.WriteHalfLittleEndian(bytes, (Half)x); break;
            default: BinaryPrimitives.WriteUInt16LittleEndian(bytes, Bf16Bits(x)); break;
        }
        return bytes;
    }

    private static ushort Bf16Bits(float x)
    {
        uint bits = BitConverter.SingleToUInt32Bits(x);
        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }
}
