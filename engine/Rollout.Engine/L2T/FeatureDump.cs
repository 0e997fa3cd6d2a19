using Rollout.Engine.Output;

namespace Rollout.Engine.L2T;

/// <summary>
/// The step-feature dump of <c>--dump-features DIR</c>: <c>u.npy</c> and <c>v.npy</c> [N, r] float32 (every
/// completion token of every rollout, in the order rollouts are added, which is the JSONL's order) and
/// <c>token_offsets.npy</c> [R+1] int64 (rollout i's rows are offsets[i]..offsets[i+1]).
/// Rows stream to <c>.partial</c> files as rollouts are added; <see cref="Complete"/> writes the final headers and
/// renames the files, token offsets last, so a dump with <c>token_offsets.npy</c> is whole.
/// </summary>
public sealed class FeatureDump : IDisposable
{
    public const string UFile = "u.npy";
    public const string VFile = "v.npy";
    public const string OffsetsFile = "token_offsets.npy";
    private const string PartialSuffix = ".partial";

    private readonly string directory;
    private readonly FileStream u;
    private readonly FileStream v;
    private readonly List<long> offsets = [0];
    private bool completed;

    /// <summary>Starts a dump in <paramref name="directory"/> (created when missing) for features of rank <paramref name="rank"/>.</summary>
    public FeatureDump(string directory, int rank)
    {
        if (rank <= 0) throw new ArgumentException($"The rank must be positive (got {rank}).", nameof(rank));
        OutputFolder.Create(directory);
        this.directory = directory;
        Rank = rank;
        u = Open(UFile);
        v = Open(VFile);
    }

    public int Rank { get; }

    /// <summary>Rollouts added so far.</summary>
    public int Count => offsets.Count - 1;

    /// <summary>Appends one rollout's rows.</summary>
    public void Add(StepFeatures features)
    {
        ObjectDisposedException.ThrowIf(completed, this);
        if (features.Rank != Rank) throw new ArgumentException($"Features of rank {features.Rank} in a dump of rank {Rank}.", nameof(features));
        if (features.U.Length != features.V.Length || features.U.Length % Rank != 0)
            throw new ArgumentException($"u ({features.U.Length} values) and v ({features.V.Length}) are not both T × {Rank}.", nameof(features));
        NpyWriter.WriteValues(u, features.U);
        NpyWriter.WriteValues(v, features.V);
        offsets.Add(offsets[^1] + features.Tokens);
    }

    /// <summary>Writes the final headers and the token offsets, and gives the three files their names.</summary>
    public void Complete()
    {
        ObjectDisposedException.ThrowIf(completed, this);
        foreach (var stream in (FileStream[])[u, v])
        {
            stream.Position = 0;
            NpyWriter.WriteHeader(stream, NpyWriter.Float32, [offsets[^1], Rank], NpyWriter.ReservedHeaderLength);
            stream.Flush(flushToDisk: true);
            stream.Dispose();
        }
        using (var stream = new FileStream(PartialPath(OffsetsFile), FileMode.Create, FileAccess.Write))
        {
            NpyWriter.Write(stream, offsets.ToArray(), offsets.Count);
            stream.Flush(flushToDisk: true);
        }
        foreach (var name in (string[])[UFile, VFile, OffsetsFile])
            File.Move(PartialPath(name), Path.Combine(directory, name), overwrite: true);
        completed = true;
    }

    /// <summary>Closes the files; a dump that was not completed removes its partial files.</summary>
    public void Dispose()
    {
        if (completed) return;
        completed = true;
        u.Dispose();
        v.Dispose();
        foreach (var name in (string[])[UFile, VFile, OffsetsFile]) File.Delete(PartialPath(name));
    }

    private string PartialPath(string name) => Path.Combine(directory, name + PartialSuffix);

    // The provisional header (no rows yet) is as long as the final one, which overwrites it in place.
    private FileStream Open(string name)
    {
        var stream = new FileStream(PartialPath(name), FileMode.Create, FileAccess.Write, FileShare.Read);
        NpyWriter.WriteHeader(stream, NpyWriter.Float32, [0, Rank], NpyWriter.ReservedHeaderLength);
        return stream;
    }
}
