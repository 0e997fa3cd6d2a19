using System.Reflection;

namespace Rollout.Models.Tokenizer;

/// <summary>The tokenizer training text: models/corpus/*.txt, embedded in this assembly as "corpus/&lt;file&gt;".</summary>
internal static class TrainingCorpus
{
    public static IReadOnlyList<string> Texts { get; } = Load();

    private static List<string> Load()
    {
        var assembly = typeof(TrainingCorpus).Assembly;
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("corpus/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(n => Read(assembly, n))
            .ToList();
    }

    private static string Read(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream);
        // Normalized line ends, so a checkout with CRLF trains the same tokenizer.
        return reader.ReadToEnd().Replace("\r\n", "\n");
    }
}
