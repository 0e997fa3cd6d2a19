using System.Text.Json.Serialization;

namespace Rollout.Bench.Peer;

/// <summary>One run: an engine's timed passes over a workload, in its own process.</summary>
public sealed record Measurement(
    [property: JsonPropertyName("engine")] string Engine,
    [property: JsonPropertyName("workload")] string Workload,
    [property: JsonPropertyName("tokens")] long Tokens,
    [property: JsonPropertyName("seconds")] double Seconds,
    [property: JsonPropertyName("ttft_ms")] double TimeToFirstTokenMs,
    [property: JsonPropertyName("peak_rss_mb")] double PeakRssMb,
    [property: JsonPropertyName("first_tokens")] int[] FirstSequenceTokens)
{
    [JsonPropertyName("tokens_per_s")] public double TokensPerSecond => Tokens / Seconds;

    /// <summary>The process's peak resident set (VmHWM): model, runtime and generation together.</summary>
    public static double PeakRssOfThisProcessMb()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmHWM:"))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
        return double.NaN;
    }
}
