using System.Runtime.InteropServices;
using System.Text;

namespace Rollout.Engine.Output;

/// <summary>
/// Writes NumPy .npy files, format version 1.0: the magic, a little-endian header length, a Python dict literal
/// (<c>descr</c>, <c>fortran_order</c>, <c>shape</c>) padded with spaces and a newline so the data starts at a
/// multiple of 64 bytes, then the values in C order, little-endian.
/// </summary>
internal static class NpyWriter
{
    public const string Float32 = "<f4";
    public const string Int64 = "<i8";

    /// <summary>
    /// A header length that holds the header of any shape of up to four dimensions, so a file whose shape is known
    /// only at the end can be written with a provisional header and have it rewritten in place.
    /// </summary>
    public const int ReservedHeaderLength = 192;

    private const int Alignment = 64;
    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0];

    public static void Write(Stream stream, ReadOnlySpan<float> values, params ReadOnlySpan<long> shape)
    {
        CheckCount(values.Length, shape);
        WriteHeader(stream, Float32, shape);
        WriteValues(stream, values);
    }

    public static void Write(Stream stream, ReadOnlySpan<long> values, params ReadOnlySpan<long> shape)
    {
        CheckCount(values.Length, shape);
        WriteHeader(stream, Int64, shape);
        WriteValues(stream, values);
    }

    /// <summary>
    /// Writes the magic and header for an array of <paramref name="descr"/> (<see cref="Float32"/> or
    /// <see cref="Int64"/>) and <paramref name="shape"/>, <paramref name="length"/> bytes long in all (a multiple of
    /// 64), or the shortest multiple of 64 when <paramref name="length"/> is 0.
    /// </summary>
    public static void WriteHeader(Stream stream, string descr, ReadOnlySpan<long> shape, int length = 0)
    {
        if (descr is not (Float32 or Int64)) throw new ArgumentException($"Unsupported dtype {descr}.", nameof(descr));
        var dims = new StringBuilder();
        foreach (var d in shape)
        {
            if (d < 0) throw new ArgumentException($"A dimension is negative ({d}).", nameof(shape));
            dims.Append(d).Append(", ");
        }
        // Python's tuple literal: "()", "(5,)", "(3, 2)".
        var tuple = shape.Length == 1 ? $"({shape[0]},)" : $"({dims.ToString().TrimEnd(',', ' ')})";
        var dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {tuple}, }}";
        int prefix = Magic.Length + sizeof(ushort), needed = prefix + dict.Length + 1;
        int total = length == 0 ? (needed + Alignment - 1) / Alignment * Alignment : length;
        if (total < needed || total % Alignment != 0)
            throw new ArgumentException($"A header of {total} bytes cannot hold {needed} bytes at a multiple of {Alignment}.", nameof(length));
        var header = new byte[total];
        Magic.CopyTo(header);
        BitConverter.TryWriteBytes(header.AsSpan(Magic.Length), (ushort)(total - prefix));
        Encoding.ASCII.GetBytes(dict, header.AsSpan(prefix));
        header.AsSpan(prefix + dict.Length, total - needed).Fill((byte)' ');
        header[^1] = (byte)'\n';
        stream.Write(header);
    }

    public static void WriteValues(Stream stream, ReadOnlySpan<float> values)
    {
        RequireLittleEndian();
        stream.Write(MemoryMarshal.AsBytes(values));
    }

    public static void WriteValues(Stream stream, ReadOnlySpan<long> values)
    {
        RequireLittleEndian();
        stream.Write(MemoryMarshal.AsBytes(values));
    }

    private static void CheckCount(int count, ReadOnlySpan<long> shape)
    {
        long product = 1;
        foreach (var d in shape) product *= d;
        if (product != count) throw new ArgumentException($"{count} values do not fill shape ({string.Join(", ", shape.ToArray())}).", nameof(shape));
    }

    // The header length and the values are written as the machine holds them, which the '<' in descr promises is little-endian.
    private static void RequireLittleEndian()
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("NpyWriter writes little-endian files and needs a little-endian machine.");
    }
}
