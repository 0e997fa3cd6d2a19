using System.Text.RegularExpressions;

namespace Rollout.Engine.Episodes;

/// <summary>
/// <see cref="EpisodeMode.Regex"/>: every match of the pattern ends an episode (the match belongs to
/// the episode it ends); the text after the last match is one more episode. Empty ranges are skipped,
/// so a zero-width pattern such as <c>(?=Step \d)</c> cuts before each step. No match at all is malformed.
/// </summary>
internal static class RegexEpisodes
{
    /// <returns>The episodes' char ranges, or null when the pattern never matches.</returns>
    public static List<(int Start, int End)>? Find(string text, Regex pattern)
    {
        var matches = pattern.Matches(text);
        if (matches.Count == 0) return null;
        var episodes = new List<(int Start, int End)>();
        var start = 0;
        foreach (Match m in matches)
        {
            var end = m.Index + m.Length;
            if (end > start)
            {
                episodes.Add((start, end));
                start = end;
            }
        }
        if (text.Length > start) episodes.Add((start, text.Length));
        return episodes;
    }
}
