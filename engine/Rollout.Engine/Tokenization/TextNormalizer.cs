using System.Text;
using System.Text.Json.Nodes;

namespace Rollout.Engine.Tokenization;

/// <summary>The <c>normalizer</c> of a tokenizer.json: Unicode forms, lowercasing, prepend and replace, in sequence.</summary>
internal sealed class TextNormalizer
{
    private readonly Func<string, string>[] steps;

    private TextNormalizer(Func<string, string>[] steps) => this.steps = steps;

    public static TextNormalizer Identity { get; } = new([]);

    public string Normalize(string text)
    {
        foreach (var step in steps) text = step(text);
        return text;
    }

    public static TextNormalizer FromJson(JsonNode? node, string file)
    {
        var steps = new List<Func<string, string>>();
        Collect(node, file, steps);
        return new TextNormalizer([.. steps]);
    }

    private static void Collect(JsonNode? node, string file, List<Func<string, string>> steps)
    {
        if (node == null) return;
        var type = (string?)node["type"];
        switch (type)
        {
            case "Sequence":
                foreach (var inner in node["normalizers"]?.AsArray() ?? []) Collect(inner, file, steps);
                break;
            case "NFC": steps.Add(s => s.Normalize(NormalizationForm.FormC)); break;
            case "NFD": steps.Add(s => s.Normalize(NormalizationForm.FormD)); break;
            case "NFKC": steps.Add(s => s.Normalize(NormalizationForm.FormKC)); break;
            case "NFKD": steps.Add(s => s.Normalize(NormalizationForm.FormKD)); break;
            case "Lowercase": steps.Add(s => s.ToLowerInvariant()); break;
            case "Prepend":
                var prefix = (string?)node["prepend"] ?? "";
                steps.Add(s => s.Length == 0 ? s : prefix + s);
                break;
            case "Replace":
                var pattern = (string?)node["pattern"]?["String"]
                    ?? throw new InputException($"{file}: Replace normalizer supports only a String pattern");
                var content = (string?)node["content"] ?? "";
                steps.Add(s => s.Replace(pattern, content, StringComparison.Ordinal));
                break;
            default:
                throw new InputException($"{file}: unsupported normalizer type '{type}'");
        }
    }
}
