using System.Text;
using System.Text.RegularExpressions;

namespace Rollout.Engine.Output;

/// <summary>Reads the .npy files this project exchanges with trainers (float32, C order, little-endian), e.g. a head core.</summary>
public static partial class NpyReader
{
    /// <summary>A float32 [r, r] array, as a head core M is stored.</summary>
    public static (float[] Data, int Rank) ReadSquare(string path)
    {
        if (!File.Exists(path)) throw new InputException($"{path}: file not found");
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 10 || Encoding.Latin1.GetString(bytes, 0, 6) != "\u0093NUMPY")
            throw new InputException($"{path}: not a .npy file");
        int headerLength = bytes[6] == 1 ? BitConverter.ToUInt16(bytes, 8) : BitConverter.ToInt32(bytes, 8);
        int dataStart = (bytes[6] == 1 ? 10 : 12) + headerLength;
        var header = Encoding.ASCII.GetString(bytes, dataStart - headerLength, headerLength);
        var shape = Shape().Match(header);
        if (!header.Contains("'descr': '<f4'") || header.Contains("'fortran_order': True") || !shape.Success)
            throw new InputException($"{path}: expected a float32 C-order array ({header.Trim()})");
        var dims = shape.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToArray();
        if (dims is not [var r, var c] || r != c || r < 1 || bytes.Length - dataStart != r * c * 4)
            throw new InputException($"{path}: expected a square [r, r] array, got ({string.Join(", ", dims)})");
        return (System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes.AsSpan(dataStart)).ToArray(), r);
    }

    [GeneratedRegex(@"'shape': \(([^)]*)\)")]
    private static partial Regex Shape();
}
