namespace Rollout.Engine.Output;

/// <summary>
/// A file an output goes to, claimed before any work: refused when it is a folder, a link, a device or one of the
/// run's inputs, or when its folder is missing or not writable, and locked (<c>FILE.lock</c>, held until commit or
/// dispose) so that a second writer of the same file is refused instead of mixing its bytes into the first one's.
/// It is written as <c>FILE.partial</c> and renamed to FILE on <see cref="Commit"/>, so no incomplete file passes
/// for a complete one; a run that fails keeps what it wrote in the .partial file.
/// </summary>
public sealed class OutputFile : IDisposable
{
    private readonly FileStream _lock;
    private bool _committed;

    /// <summary>The path as given (messages name it so).</summary>
    public string Path { get; }
    public string PartialPath => Path + ".partial";

    private OutputFile(string path, FileStream lockFile)
    {
        Path = path;
        _lock = lockFile;
    }

    /// <summary>Checks <paramref name="path"/> (none of <paramref name="inputs"/> may be it) and takes its lock.</summary>
    public static OutputFile Claim(string path, params string[] inputs)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new InputException($"{path}: a folder, not a file");
        if (new FileInfo(full).LinkTarget != null) throw new InputException($"{path}: a link; the output is written to a plain file, not through a link");
        if (IsDevice(full)) throw new InputException($"{path}: a device, not a file");
        if (inputs.FirstOrDefault(i => System.IO.Path.GetFullPath(i) == full) is { } input)
            throw new InputException($"{path}: the output would overwrite the input {input}");
        var dir = System.IO.Path.GetDirectoryName(full)!;
        if (!Directory.Exists(dir)) throw new InputException($"{path}: the output folder does not exist");
        FileStream lockFile;
        try { lockFile = new FileStream(full + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose); }
        catch (UnauthorizedAccessException) { throw new InputException($"{path}: the output folder is not writable"); }
        // A read-only file system fails with an IOException too, not only a lock held by another run.
        catch (IOException e) when (!Writable(dir)) { throw new InputException($"{path}: the output folder is not writable ({e.Message})"); }
        catch (IOException) { throw new InputException($"{path}: another run is writing it ({path}.lock is held)"); }
        return new OutputFile(path, lockFile);
    }

    /// <summary>Creates (or truncates) <c>FILE.partial</c>; readable too, for formats that read back their own footer.</summary>
    public FileStream OpenPartial()
    {
        ObjectDisposedException.ThrowIf(_committed, this);
        try { return new FileStream(PartialPath, FileMode.Create, FileAccess.ReadWrite, FileShare.Read); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new InputException($"{Path}: cannot write {PartialPath} ({e.Message})"); }
    }

    /// <summary>Opens the existing <c>FILE.partial</c> of an interrupted run, to read it and write after it.</summary>
    public FileStream OpenPartialToResume()
    {
        if (!File.Exists(PartialPath)) throw new InputException($"{Path}: nothing to resume ({PartialPath} does not exist)");
        try { return new FileStream(PartialPath, FileMode.Open, FileAccess.ReadWrite, FileShare.Read); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new InputException($"{Path}: cannot open {PartialPath} ({e.Message})"); }
    }

    /// <summary>Flushes <paramref name="partial"/> to disk, closes it, gives the file its final name and releases the lock.</summary>
    public void Commit(FileStream partial)
    {
        partial.Flush(flushToDisk: true);
        partial.Dispose();
        File.Move(PartialPath, Path, overwrite: true);
        _committed = true;
        _lock.Dispose();
    }

    /// <summary>Releases the lock; a .partial file stays with what was written to it.</summary>
    public void Dispose() => _lock.Dispose();

    /// <summary>Whether <paramref name="fullPath"/> is under a kernel file system, where nothing is a plain file.</summary>
    internal static bool IsDevice(string fullPath) =>
        fullPath.StartsWith("/dev/", StringComparison.Ordinal) || fullPath.StartsWith("/proc/", StringComparison.Ordinal);

    /// <summary>Whether a file can be made in <paramref name="dir"/>: tried, since root ignores mode bits and a read-only mount does not show in them.</summary>
    internal static bool Writable(string dir)
    {
        var probe = System.IO.Path.Combine(dir, $".rollout-probe-{Guid.NewGuid():N}");
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }
}
