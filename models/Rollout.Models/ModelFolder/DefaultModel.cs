namespace Rollout.Models.ModelFolder;

/// <summary>
/// The model `demo` (and the README's main command) runs when given none: the arithmetic reasoning
/// model trained by `model train-task` and shipped in models/arith-qwen2, copied beside the program at
/// build time, so it needs no download.
/// </summary>
public static class DefaultModel
{
    public const string FolderName = "arith-qwen2";

    public static string Path => System.IO.Path.Combine(AppContext.BaseDirectory, FolderName);
}
