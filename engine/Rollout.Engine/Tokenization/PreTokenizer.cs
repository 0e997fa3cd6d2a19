using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Rollout.Engine.Tokenization;

/// <summary>
/// The <c>pre_tokenizer</c> of a tokenizer.json: cuts normalized text into words, and (its ByteLevel
/// step) spells each word in <see cref="ByteLevelAlphabet"/> characters for the BPE model.
/// </summary>
internal sealed class PreTokenizer
{
    private readonly Func<string, IEnumerable<string>>[] steps;

    private PreTokenizer(Func<string, IEnumerable<string>>[] steps) => this.steps = steps;

    /// <summary>True when some step spells words byte-level, as byte-level BPE needs.</summary>
    public bool IsByteLevel { get; private init; }

    /// <summary>GPT-2's: byte-level with its regex, with or without a space put before the text.</summary>
    public static PreTokenizer Gpt2(bool addPrefixSpace) =>
        new([ByteLevelStep(addPrefixSpace, new Regex(ByteLevelAlphabet.Gpt2Pattern, RegexOptions.Compiled))]) { IsByteLevel = true };

    /// <summary>tiktoken's: its regex, then byte-level spelling.</summary>
    public static PreTokenizer Tiktoken(Regex pattern) => new([ByteLevelStep(false, pattern)]) { IsByteLevel = true };

    public IEnumerable<string> Split(string text)
    {
        IEnumerable<string> words = [text];
        foreach (var step in steps) words = words.SelectMany(step).ToList();
        return words;
    }

    public static PreTokenizer FromJson(JsonNode? node, string file)
    {
        var steps = new List<Func<string, IEnumerable<string>>>();
        var byteLevel = Collect(node, file, steps);
        return new PreTokenizer([.. steps]) { IsByteLevel = byteLevel };
    }

    private static bool Collect(JsonNode? node, string file, List<Func<string, IEnumerable<string>>> steps)
    {
        if (node == null) return false;
        var type = (string?)node["type"];
        switch (type)
        {
            case "Sequence":
                var any = false;
                foreach (var inner in node["pretokenizers"]?.AsArray() ?? []) any |= Collect(inner, file, steps);
                return any;
            case "ByteLevel":
                var regex = (bool?)node["use_regex"] ?? true
                    ? new Regex(ByteLevelAlphabet.Gpt2Pattern, RegexOptions.Compiled)
                    : null;
                steps.Add(ByteLevelStep((bool?)node["add_prefix_space"] ?? false, regex));
                return true;
            case "Split":
                var pattern = node["pattern"];
                var split = pattern?["Regex"] is { } r ? CompileRegex((string)r!, file)
                    : pattern?["String"] is { } s ? new Regex(Regex.Escape((string)s!))
                    : throw new InputException($"{file}: Split pre_tokenizer has no pattern");
                var behavior = (string?)node["behavior"] ?? "Isolated";
                var invert = (bool?)node["invert"] ?? false;
                steps.Add(word => SplitStep(word, split, behavior, invert, file));
                return false;
            case "Digits":
                var digits = new Regex((bool?)node["individual_digits"] ?? false ? @"\p{N}" : @"\p{N}+");
                steps.Add(word => SplitStep(word, digits, "Isolated", false, file));
                return false;
            default:
                throw new InputException($"{file}: unsupported pre_tokenizer type '{type}'");
        }
    }

    private static Regex CompileRegex(string pattern, string file)
    {
        try
        {
            return new Regex(pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant);
        }
        catch (ArgumentException e)
        {
            throw new InputException($"{file}: pre_tokenizer regex not supported by .NET: {e.Message}", e);
        }
    }

    private static Func<string, IEnumerable<string>> ByteLevelStep(bool addPrefixSpace, Regex? regex) => word =>
    {
        if (addPrefixSpace && !word.StartsWith(' ')) word = " " + word;
        IEnumerable<string> parts = regex == null ? [word] : regex.Matches(word).Select(m => m.Value);
        return parts.Select(p => ByteLevelAlphabet.Spell(Encoding.UTF8.GetBytes(p)));
    };

    /// <summary>HF's split behaviours: what becomes of the matches (delimiters) and the text between them.</summary>
    private static IEnumerable<string> SplitStep(string word, Regex regex, string behavior, bool invert, string file)
    {
        var segments = new List<(string Text, bool IsMatch)>();
        var last = 0;
        foreach (Match m in regex.Matches(word))
        {
            if (m.Length == 0) continue;
            if (m.Index > last) segments.Add((word[last..m.Index], invert));
            segments.Add((m.Value, !invert));
            last = m.Index + m.Length;
        }
        if (last < word.Length) segments.Add((word[last..], invert));

        var result = new List<string>();
        switch (behavior)
        {
            case "Isolated":
                result.AddRange(segments.Select(s => s.Text));
                break;
            case "Removed":
                result.AddRange(segments.Where(s => !s.IsMatch).Select(s => s.Text));
                break;
            case "MergedWithPrevious":
                // A delimiter joins the piece before it unless that piece is itself a delimiter.
                var afterPlain = false;
                foreach (var (text, isMatch) in segments)
                {
                    if (isMatch && afterPlain) result[^1] += text;
                    else result.Add(text);
                    afterPlain = !isMatch;
                }
                break;
            case "MergedWithNext":
                var beforePlain = false;
                for (var i = segments.Count - 1; i >= 0; i--)
                {
                    var (text, isMatch) = segments[i];
                    if (isMatch && beforePlain) result[^1] = text + result[^1];
                    else result.Add(text);
                    beforePlain = !isMatch;
                }
                result.Reverse();
                break;
            case "Contiguous":
                var previousWasMatch = false;
                foreach (var (text, isMatch) in segments)
                {
                    if (isMatch && previousWasMatch) result[^1] += text;
                    else result.Add(text);
                    previousWasMatch = isMatch;
                }
                break;
            default:
                throw new InputException($"{file}: unsupported Split behavior '{behavior}'");
        }
        return result;
    }
}
