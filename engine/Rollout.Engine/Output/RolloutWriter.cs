using Rollout.Engine.Generation;

namespace Rollout.Engine.Output;

/// <summary>The one place an output path picks its writer: <c>-</c> streams JSON lines to standard output, <c>.parquet</c> writes Parquet, anything else JSON lines.</summary>
public static class RolloutWriter
{
    /// <summary>The path that means standard output.</summary>
    public const string StandardOutput = "-";

    /// <summary>
    /// Claims <paramref name="path"/> (checked and locked, see <see cref="OutputFile"/>) before any work, or takes
    /// <paramref name="stdout"/> for <c>-</c>; <paramref name="inputs"/> are the run's input files, which the output may not be.
    /// The rollouts record <paramref name="settings"/>, the run's.
    /// </summary>
    public static IRolloutWriter Open(string path, TextWriter stdout, GenerationOptions settings, params string[] inputs)
    {
        if (path == StandardOutput) return RolloutJsonlWriter.To(stdout, settings);
        var file = OutputFile.Claim(path, inputs);
        return path.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase) ? new RolloutParquetWriter(file, settings) : RolloutJsonlWriter.To(file, settings);
    }

    /// <summary>The output's name of a finish reason (<c>eos</c>, <c>stop</c>, <c>length</c>), the same in every format.</summary>
    internal static string FinishReasonName(FinishReason reason) => reason.ToString().ToLowerInvariant();
}
