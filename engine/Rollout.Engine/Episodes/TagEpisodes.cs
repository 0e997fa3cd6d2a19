using System.Globalization;
using System.Text.RegularExpressions;

namespace Rollout.Engine.Episodes;

/// <summary>
/// <see cref="EpisodeMode.Tags"/>: the char ranges of <c>&lt;episode_k&gt;…&lt;/episode_k&gt;</c>, each
/// from the start of its opening tag to the end of its closing tag. Strict: the completion must hold
/// one think block (one <c>&lt;/think&gt;</c>, at most one <c>&lt;think&gt;</c> before it; with none the
/// block starts at the completion's start, as when the chat template's generation prompt opened it),
/// and its episode tags must read exactly <c>&lt;episode_1&gt; &lt;/episode_1&gt; &lt;episode_2&gt; … &lt;/episode_K&gt;</c>,
/// K ≥ 1, all inside the block. Anything else (a numbering gap, an unclosed or nested episode, a tag
/// outside the block, "episode_01") is malformed. Text between episodes is allowed.
/// </summary>
internal static partial class TagEpisodes
{
    private const string ThinkOpen = "<think>";
    private const string ThinkClose = "</think>";

    [GeneratedRegex(@"<(/?)episode_(\d+)>", RegexOptions.CultureInvariant)]
    private static partial Regex EpisodeTag();

    /// <returns>The episodes' char ranges, or null when the completion is malformed.</returns>
    public static List<(int Start, int End)>? Find(string text)
    {
        var close = text.IndexOf(ThinkClose, StringComparison.Ordinal);
        if (close < 0 || text.IndexOf(ThinkClose, close + 1, StringComparison.Ordinal) >= 0) return null;
        var open = text.IndexOf(ThinkOpen, StringComparison.Ordinal);
        if (open > close || (open >= 0 && text.IndexOf(ThinkOpen, open + 1, StringComparison.Ordinal) >= 0)) return null;
        var blockStart = open < 0 ? 0 : open + ThinkOpen.Length;

        var episodes = new List<(int Start, int End)>();
        var episodeStart = -1;
        foreach (Match tag in EpisodeTag().Matches(text))
        {
            if (tag.Index < blockStart || tag.Index + tag.Length > close) return null;
            var isClose = tag.Groups[1].Length > 0;
            var expected = (episodes.Count + 1).ToString(CultureInfo.InvariantCulture);
            if (tag.Groups[2].Value != expected || isClose != episodeStart >= 0) return null;
            if (isClose)
            {
                episodes.Add((episodeStart, tag.Index + tag.Length));
                episodeStart = -1;
            }
            else episodeStart = tag.Index;
        }
        return episodes.Count > 0 && episodeStart < 0 ? episodes : null;
    }
}
