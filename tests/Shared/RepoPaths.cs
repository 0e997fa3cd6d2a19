namespace Rollout.Tests;

/// <summary>Where the repository and the read-only <c>shared/</c> folder beside it are, from a test's point of view.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary><c>../shared</c> next to the checkout (CI lays a copy there too).</summary>
    public static string Shared => Path.GetFullPath(Path.Combine(Root, "..", "shared"));

    public static string Gpt2Tokenizer => Path.Combine(Shared, "data", "gpt2-tokenizer");

    /// <summary>A fresh empty folder under the system temp folder, for one test.</summary>
    public static string NewTempDir(string prefix)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"rollout-{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Rollout.sln"))) return dir.FullName;
        throw new InvalidOperationException("Rollout.sln not found above " + AppContext.BaseDirectory);
    }
}
