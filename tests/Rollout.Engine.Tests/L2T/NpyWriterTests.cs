using System.Text;
using Rollout.Engine.Output;

namespace Rollout.Engine.Tests.L2T;

public class NpyWriterTests
{
    [Fact]
    public void Float32_matrix_has_the_v1_layout()
    {
        using var stream = new MemoryStream();
        NpyWriter.Write(stream, [1f, -2f, 0.5f, 3f, 0f, -0.25f], 2, 3);

        // magic, version 1.0, header length 118 (little-endian), the dict, spaces and '\n' to byte 128, the data.
        const string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
        var expected = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, 118, 0 };
        expected.AddRange(Encoding.ASCII.GetBytes(dict));
        expected.AddRange(Enumerable.Repeat((byte)' ', 128 - 10 - dict.Length - 1));
        expected.Add((byte)'\n');
        expected.AddRange([0x00, 0x00, 0x80, 0x3F]); // 1
        expected.AddRange([0x00, 0x00, 0x00, 0xC0]); // −2
        expected.AddRange([0x00, 0x00, 0x00, 0x3F]); // 0.5
        expected.AddRange([0x00, 0x00, 0x40, 0x40]); // 3
        expected.AddRange([0x00, 0x00, 0x00, 0x00]); // 0
        expected.AddRange([0x00, 0x00, 0x80, 0xBE]); // −0.25
        Assert.Equal(expected, stream.ToArray());
    }

    [Fact]
    public void Int64_vector_has_the_v1_layout()
    {
        using var stream = new MemoryStream();
        NpyWriter.Write(stream, [0L, 3L, 258L], 3);

        const string dict = "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }";
        var expected = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, 118, 0 };
        expected.AddRange(Encoding.ASCII.GetBytes(dict));
        expected.AddRange(Enumerable.Repeat((byte)' ', 128 - 10 - dict.Length - 1)); // 10 + 57 + 1 bytes do not fit in 64
        expected.Add((byte)'\n');
        expected.AddRange([0, 0, 0, 0, 0, 0, 0, 0]);
        expected.AddRange([3, 0, 0, 0, 0, 0, 0, 0]);
        expected.AddRange([2, 1, 0, 0, 0, 0, 0, 0]); // 258 = 0x0102
        Assert.Equal(expected, stream.ToArray());
    }

    [Fact]
    public void A_reserved_header_keeps_its_length_whatever_the_shape()
    {
        foreach (long rows in (long[])[0, 7, long.MaxValue])
        {
            using var stream = new MemoryStream();
            NpyWriter.WriteHeader(stream, NpyWriter.Float32, [rows, 32], NpyWriter.ReservedHeaderLength);
            var bytes = stream.ToArray();
            Assert.Equal(NpyWriter.ReservedHeaderLength, bytes.Length);
            Assert.Equal(NpyWriter.ReservedHeaderLength - 10, BitConverter.ToUInt16(bytes, 8));
            Assert.EndsWith($"'shape': ({rows}, 32), }}", Encoding.ASCII.GetString(bytes, 10, bytes.Length - 10).TrimEnd());
            Assert.Equal((byte)'\n', bytes[^1]);
        }
    }

    [Fact]
    public void Values_that_do_not_fill_the_shape_are_refused()
    {
        using var stream = new MemoryStream();
        Assert.Throws<ArgumentException>(() => NpyWriter.Write(stream, [1f, 2f, 3f], 2, 2));
        Assert.Throws<ArgumentException>(() => NpyWriter.WriteHeader(stream, NpyWriter.Float32, [1, 1], 65));
    }
}
