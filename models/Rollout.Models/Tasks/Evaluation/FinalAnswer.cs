using System.Globalization;
using System.Text.RegularExpressions;

namespace Rollout.Models.Tasks.Evaluation;

/// <summary>The <c>#### x</c> answer of a completion and numeric comparison with a reference.</summary>
public static partial class FinalAnswer
{
    [GeneratedRegex(@"####\s*(-?\d+(?:\.\d+)?)")]
    private static partial Regex HashAnswer();

    /// <summary>The number after the last <c>####</c>, or null when there is none.</summary>
    public static decimal? Extract(string completion)
    {
        var matches = HashAnswer().Matches(completion);
        return matches.Count == 0 ? null : Parse(matches[^1].Groups[1].Value);
    }

    public static decimal? Parse(string text) =>
        decimal.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null;
}
