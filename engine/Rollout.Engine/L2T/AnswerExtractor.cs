using System.Globalization;
using System.Text.RegularExpressions;

namespace Rollout.Engine.L2T;

/// <summary>Where a completion states its final answer (spec §5).</summary>
public enum AnswerFormat
{
    /// <summary><c>#### x</c> (GSM8K).</summary>
    Hash,

    /// <summary><c>\boxed{x}</c>, braces nested.</summary>
    Boxed,

    /// <summary><c>answer: x</c>, case-insensitive.</summary>
    AnswerColon,

    /// <summary>The first capture group (or the whole match) of a caller's regex.</summary>
    Regex,

    /// <summary>Boxed, then hash, then answer-colon: the first format present.</summary>
    Any,
}

/// <summary>Extracts a completion's final answer and scores it against the reference: r_out ∈ {0, 1}.</summary>
public sealed class AnswerExtractor(AnswerFormat format = AnswerFormat.Any, string? pattern = null)
{
    private static readonly Regex HashAnswer = new(@"####\s*([^\n]+)", RegexOptions.CultureInvariant);
    private static readonly Regex ColonAnswer = new(@"answer\s*:\s*([^\n]+)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
    private static readonly Regex NumberDecoration = new(@"[\s,$]|\\!|\\,", RegexOptions.CultureInvariant);

    private readonly Regex? custom = format == AnswerFormat.Regex
        ? new Regex(pattern ?? throw new ArgumentException("The regex answer format needs a pattern.", nameof(pattern)), RegexOptions.CultureInvariant)
        : null;

    /// <summary>The last stated answer in <paramref name="completion"/>, trimmed, or null when there is none.</summary>
    public string? Extract(string completion) => format switch
    {
        AnswerFormat.Hash => LastCapture(HashAnswer, completion),
        AnswerFormat.Boxed => LastBoxed(completion),
        AnswerFormat.AnswerColon => LastCapture(ColonAnswer, completion),
        AnswerFormat.Regex => LastCapture(custom!, completion),
        _ => LastBoxed(completion) ?? LastCapture(HashAnswer, completion) ?? LastCapture(ColonAnswer, completion),
    };

    /// <summary>r_out: 1 when the extracted answer equals <paramref name="reference"/> (numerically when both are numbers), else 0.</summary>
    public double Score(string completion, string reference)
    {
        var answer = Extract(completion);
        return answer != null && AnswersEqual(answer, reference) ? 1 : 0;
    }

    /// <summary>Numbers compare by value (thousands separators, <c>$</c> and a trailing period ignored); other text compares trimmed, case-insensitive.</summary>
    public static bool AnswersEqual(string answer, string reference)
    {
        if (TryNumber(answer, out var a) && TryNumber(reference, out var b))
            return Math.Abs(a - b) <= 1e-9 * Math.Max(1, Math.Abs(b));
        return string.Equals(answer.Trim().TrimEnd('.'), reference.Trim().TrimEnd('.'), StringComparison.OrdinalIgnoreCase);
    }

    private static bool TryNumber(string text, out double value)
    {
        var cleaned = NumberDecoration.Replace(text, "").TrimEnd('.');
        return double.TryParse(cleaned, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    private static string? LastCapture(Regex regex, string text)
    {
        var matches = regex.Matches(text);
        if (matches.Count == 0) return null;
        var last = matches[^1];
        var value = (last.Groups.Count > 1 ? last.Groups[1].Value : last.Value).Trim();
        return value.Length == 0 ? null : value;
    }

    private static string? LastBoxed(string text)
    {
        const string opener = @"\boxed{";
        var start = text.LastIndexOf(opener, StringComparison.Ordinal);
        if (start < 0) return null;
        int depth = 1, i = start + opener.Length;
        for (int j = i; j < text.Length; j++)
        {
            if (text[j] == '{') depth++;
            else if (text[j] == '}' && --depth == 0) return text[i..j].Trim();
        }
        return null; // unclosed
    }
}
