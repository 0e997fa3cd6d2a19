using System.Text;
using System.Text.RegularExpressions;

namespace Rollout.Engine.Tests.Support;

/// <summary>A minimal .npy v1 reader (C order, little-endian float32 and int64) for checking feature dumps.</summary>
internal static partial class NpyFile
{
    public static (string Descr, long[] Shape, byte[] Data) Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.Equal("\u0093NUMPY", Encoding.Latin1.GetString(bytes, 0, 6));
        int headerLength = BitConverter.ToUInt16(bytes, 8);
        var header = Encoding.ASCII.GetString(bytes, 10, headerLength);
        Assert.Contains("'fortran_order': False", header);
        var descr = Descr().Match(header).Groups[1].Value;
        var shape = Shape().Match(header).Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(long.Parse).ToArray();
        return (descr, shape, bytes[(10 + headerLength)..]);
    }

    public static float[] Floats(string path)
    {
        var (descr, _, data) = Read(path);
        Assert.Equal("<f4", descr);
        return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(data).ToArray();
    }

    public static long[] Longs(string path)
    {
        var (descr, _, data) = Read(path);
        Assert.Equal("<i8", descr);
        return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(data).ToArray();
    }

    [GeneratedRegex(@"'descr': '([^']+)'")]
    private static partial Regex Descr();

    [GeneratedRegex(@"'shape': \(([^)]*)\)")]
    private static partial Regex Shape();
}
