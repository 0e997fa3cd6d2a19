using Rollout.Engine.Model;
using Rollout.Models.Onnx;

namespace Rollout.Models.ModelFolder;

/// <summary>
/// The model `demo` runs when given none: built from code (seeded weights, the embedded tokenizer
/// corpus) into a cache folder on first use, so it needs no download and no file in the checkout.
/// </summary>
public static class DefaultModel
{
    /// <summary>Bump when the recipe changes, so an old cached build is not reused.</summary>
    private const string Version = "llama-4x128-v1";

    public static string CacheRoot =>
        Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "rollout");

    /// <summary>The folder of the default model, written first if absent. A half-written build is never reused.</summary>
    public static string EnsureBuilt()
    {
        var dir = Path.Combine(CacheRoot, Version);
        if (File.Exists(Path.Combine(dir, ModelFolderWriter.OnnxFile))) return dir;
        var staging = dir + ".building-" + Environment.ProcessId;
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        NewModel.Write(Architecture.Llama, layers: 4, hidden: 128, heads: 4, kvHeads: 2, intermediate: 384,
            vocab: 1024, seed: 2026, staging, WeightDtype.Float32, maxPositions: 512);
        try { Directory.Move(staging, dir); }
        catch (IOException) when (File.Exists(Path.Combine(dir, ModelFolderWriter.OnnxFile))) { Directory.Delete(staging, true); } // another process won
        return dir;
    }
}
