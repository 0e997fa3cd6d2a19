namespace Rollout.Engine.Prompts;

/// <summary>Reads a prompt file, JSONL or Parquet by extension (see <see cref="JsonlPrompts"/>, <see cref="ParquetPrompts"/>).</summary>
public static class PromptFile
{
    public static IReadOnlyList<Prompt> Read(string path)
    {
        if (!File.Exists(path)) throw new InputException($"{path}: prompt file not found");
        var prompts = Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".jsonl" => JsonlPrompts.Read(path),
            ".parquet" => ParquetPrompts.Read(path),
            var ext => throw new InputException($"{path}: unknown prompt file type '{ext}' (expected .jsonl or .parquet)"),
        };
        if (prompts.Count == 0) throw new InputException($"{path}: no prompts");
        // Ids key each rollout's random stream and its output rows, so they must be unique.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in prompts)
            if (!seen.Add(p.Id)) throw new InputException($"{path}: prompt id '{p.Id}' appears more than once");
        return prompts;
    }
}
