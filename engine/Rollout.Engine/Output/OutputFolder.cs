namespace Rollout.Engine.Output;

/// <summary>
/// A folder outputs are written into (a run, a model, a feature dump), made ready before any work: refused when it
/// is a file, a device or not writable, created with its parents when missing.
/// </summary>
public static class OutputFolder
{
    /// <summary>Makes <paramref name="dir"/> ready; files already in it stay.</summary>
    public static void Create(string dir)
    {
        var full = Path.GetFullPath(dir);
        if (File.Exists(full)) throw new InputException($"{dir}: a file, not a folder");
        if (OutputFile.IsDevice(full)) throw new InputException($"{dir}: under a device file system, not a folder for output");
        try { Directory.CreateDirectory(full); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new InputException($"{dir}: cannot create the folder ({e.Message})"); }
        if (!OutputFile.Writable(full)) throw new InputException($"{dir}: the folder is not writable");
    }

    /// <summary>Makes <paramref name="dir"/> ready, refusing one that already holds anything (a model is never written over another).</summary>
    public static void CreateEmpty(string dir)
    {
        if (Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any())
            throw new InputException($"{dir}: output folder exists and is not empty");
        Create(dir);
    }
}
