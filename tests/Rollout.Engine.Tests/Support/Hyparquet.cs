using System.Diagnostics;
using System.Text.Json;
using Rollout.Tests;

namespace Rollout.Engine.Tests.Support;

/// <summary>
/// Reads a Parquet file with hyparquet (a pure-JavaScript reader, tests/tools/parquet-read), independent of the
/// Parquet.Net library that writes it. <c>npm ci --prefix tests/tools/parquet-read</c> installs it (.ci/run does).
/// </summary>
internal static class Hyparquet
{
    private static string Tool => Path.Combine(RepoPaths.Root, "tests", "tools", "parquet-read");

    /// <summary>Why the reader cannot run here, or null when it can.</summary>
    public static string? Missing()
    {
        if (!File.Exists(Path.Combine(Tool, "node_modules", "hyparquet", "package.json")))
            return $"hyparquet is not installed (npm ci --prefix {Tool})";
        try
        {
            using var node = Process.Start(new ProcessStartInfo("node", "--version") { RedirectStandardOutput = true })!;
            node.WaitForExit();
            return node.ExitCode == 0 ? null : "node does not run";
        }
        catch (System.ComponentModel.Win32Exception) { return "node is not installed"; }
    }

    /// <summary>The file's row-group count (from its footer) and its rows as JSON objects.</summary>
    public static (int RowGroups, List<JsonElement> Rows) Read(string path)
    {
        var start = new ProcessStartInfo("node", [Path.Combine(Tool, "read.mjs"), path]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var node = Process.Start(start)!;
        var stderr = node.StandardError.ReadToEndAsync();
        var lines = new List<string>();
        while (node.StandardOutput.ReadLine() is { } line) lines.Add(line);
        node.WaitForExit();
        Assert.True(node.ExitCode == 0, $"hyparquet could not read {path}: {stderr.Result}");
        var header = JsonDocument.Parse(lines[0]).RootElement;
        var rows = lines.Skip(1).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(header.GetProperty("rows").GetInt32(), rows.Count);
        return (header.GetProperty("row_groups").GetInt32(), rows);
    }
}
