using System.Text;
using Rollout.Engine.L2T;
using Rollout.Tests;

namespace Rollout.Engine.Tests.L2T;

public sealed class FeatureDumpTests
{
    private readonly string directory = Path.Combine(RepoPaths.NewTempDir("dump"), "features");

    [Fact]
    public void Writes_rows_in_order_and_offsets_that_delimit_each_rollout()
    {
        using (var dump = new FeatureDump(directory, rank: 2))
        {
            dump.Add(new StepFeatures(2, [1, 2, 3, 4], [-1, -2, -3, -4]));
            dump.Add(new StepFeatures(2, [], [])); // a rollout with no tokens: an empty row range
            dump.Add(new StepFeatures(2, [5, 6], [-5, -6]));
            dump.Complete();
        }

        Assert.Equal(["token_offsets.npy", "u.npy", "v.npy"], Directory.GetFiles(directory).Select(Path.GetFileName).Order());
        AssertFloat32([1, 2, 3, 4, 5, 6], Path.Combine(directory, "u.npy"));
        AssertFloat32([-1, -2, -3, -4, -5, -6], Path.Combine(directory, "v.npy"));
        var (descr, shape, data) = Read(Path.Combine(directory, "token_offsets.npy"));
        Assert.Equal(("<i8", "(4,)"), (descr, shape));
        Assert.Equal([0L, 2, 2, 3], Enumerable.Range(0, 4).Select(i => BitConverter.ToInt64(data, 8 * i)));
    }

    [Fact]
    public void An_unfinished_dump_leaves_no_files()
    {
        using (var dump = new FeatureDump(directory, rank: 2))
            dump.Add(new StepFeatures(2, [1, 2], [3, 4]));
        Assert.Empty(Directory.GetFiles(directory));
    }

    [Fact]
    public void Features_of_another_rank_are_refused()
    {
        using var dump = new FeatureDump(directory, rank: 2);
        Assert.Throws<ArgumentException>(() => dump.Add(new StepFeatures(3, [1, 2, 3], [1, 2, 3])));
        Assert.Throws<ArgumentException>(() => dump.Add(new StepFeatures(2, [1, 2], [1, 2, 3, 4])));
    }

    private static void AssertFloat32(float[] expected, string path)
    {
        var (descr, shape, data) = Read(path);
        Assert.Equal(("<f4", "(3, 2)"), (descr, shape));
        Assert.Equal(expected, Enumerable.Range(0, data.Length / 4).Select(i => BitConverter.ToSingle(data, 4 * i)));
    }

    /// <summary>A minimal .npy v1.0 reader: checks the magic and the 64-byte alignment, returns descr, shape and the data bytes.</summary>
    private static (string Descr, string Shape, byte[] Data) Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0 }, bytes[..8]);
        int dataStart = 10 + BitConverter.ToUInt16(bytes, 8);
        Assert.Equal(0, dataStart % 64);
        var header = Encoding.ASCII.GetString(bytes, 10, dataStart - 10);
        Assert.EndsWith("\n", header);
        Assert.Contains("'fortran_order': False", header);
        var descr = header.Split("'descr': '")[1].Split('\'')[0];
        var shape = header.Split("'shape': ")[1].Split(", }")[0];
        return (descr, shape, bytes[dataStart..]);
    }
}
