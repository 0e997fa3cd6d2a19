using System.Text.RegularExpressions;

namespace Rollout.Engine.Episodes;

/// <summary>
/// <see cref="EpisodeMode.Think"/>: the char range of every <c>&lt;think&gt;…&lt;/think&gt;</c> block,
/// tags included. The first block may lack its opening tag (the chat template's generation prompt
/// opened it): it then starts at the completion's start. A nested, unclosed or stray tag is malformed.
/// </summary>
internal static partial class ThinkEpisodes
{
    [GeneratedRegex(@"</?think>", RegexOptions.CultureInvariant)]
    private static partial Regex ThinkTag();

    /// <returns>The blocks' char ranges, or null when the completion is malformed.</returns>
    public static List<(int Start, int End)>? Find(string text)
    {
        var blocks = new List<(int Start, int End)>();
        var blockStart = -1;
        foreach (Match tag in ThinkTag().Matches(text))
        {
            var isClose = tag.Length == "</think>".Length;
            if (isClose)
            {
                if (blockStart < 0 && blocks.Count > 0) return null;
                blocks.Add((Math.Max(blockStart, 0), tag.Index + tag.Length));
                blockStart = -1;
            }
            else
            {
                if (blockStart >= 0) return null;
                blockStart = tag.Index;
            }
        }
        return blocks.Count > 0 && blockStart < 0 ? blocks : null;
    }
}
