namespace Rollout.Tests;

/// <summary>Where the repository and the read-only <c>shared/</c> folder beside it are, from a test's point of view.</summary>
internal static class RepoPaths
{
    /// <summary>The checkout: found above the test binaries, or above the working directory for a published test
    /// folder run elsewhere (the GPU machine's scripts run it from the repository root). Looked up on first use, so
    /// tests that need no repository file (temp folders) run anywhere.</summary>
    public static string Root => LazyRoot.Value;

    private static readonly Lazy<string> LazyRoot = new(FindRoot);

    /// <summary><c>../shared</c> next to the checkout (CI lays a copy there too).</summary>
    public static string Shared => Path.GetFullPath(Path.Combine(Root, "..", "shared"));

    public static string Gpt2Tokenizer => Path.Combine(Shared, "data", "gpt2-tokenizer");

    /// <summary>One temp folder per test process, removed when it exits, so no test leaves files behind.</summary>
    private static readonly Lazy<string> TempRoot = new(() =>
    {
        var root = Path.Combine(Path.GetTempPath(), $"rollout-tests-{Environment.ProcessId}");
        Directory.CreateDirectory(root);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(root, recursive: true); }
            catch (IOException) { } // a file still open at exit; the OS temp cleaner gets it
        };
        return root;
    });

    /// <summary>A fresh empty folder under this process's temp root, for one test.</summary>
    public static string NewTempDir(string prefix)
    {
        var dir = Path.Combine(TempRoot.Value, $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static string FindRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
            for (var dir = new DirectoryInfo(start); dir != null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Rollout.sln"))) return dir.FullName;
        throw new InvalidOperationException($"Rollout.sln not found above {AppContext.BaseDirectory} or {Environment.CurrentDirectory}");
    }
}
