namespace Rollout.Engine.Episodes;

/// <summary>
/// Cuts a completion into episodes (spec §2): finds the episodes' char ranges in the decoded text,
/// then maps them to exact token spans through the tokens' char offsets.
/// </summary>
internal static class EpisodeSegmenter
{
    /// <param name="text">The completion's decoded text.</param>
    /// <param name="tokenStarts">Per completion token, the char offset in <paramref name="text"/> where it starts.</param>
    /// <param name="tokenEnds">Per completion token, the char offset where it ends (exclusive); offsets never decrease.</param>
    /// <remarks>
    /// A token belongs to an episode when its chars overlap the episode's chars (a zero-width token when it
    /// sits inside them), so a tag split over several tokens takes all of them. A token shared by two
    /// episodes goes to the earlier one; an episode left with no token of its own is dropped. No episode
    /// left, or a malformed completion, gives one span over every token with FormatOk = false.
    /// </remarks>
    public static Segmentation Segment(EpisodeSpec spec, string text, ReadOnlySpan<int> tokenStarts, ReadOnlySpan<int> tokenEnds)
    {
        if (tokenStarts.Length != tokenEnds.Length)
            throw new ArgumentException($"{tokenStarts.Length} token starts but {tokenEnds.Length} token ends");
        var ranges = spec.Mode switch
        {
            EpisodeMode.Tags => TagEpisodes.Find(text),
            EpisodeMode.Think => ThinkEpisodes.Find(text),
            _ => RegexEpisodes.Find(text, spec.Pattern!),
        };
        var tokenCount = tokenStarts.Length;
        var spans = ranges == null ? [] : ToTokenSpans(ranges, tokenStarts, tokenEnds);
        return spans.Count == 0
            ? new Segmentation([new EpisodeSpan(0, 0, tokenCount)], FormatOk: false)
            : new Segmentation(spans, FormatOk: true);
    }

    private static List<EpisodeSpan> ToTokenSpans(List<(int Start, int End)> ranges, ReadOnlySpan<int> starts, ReadOnlySpan<int> ends)
    {
        var spans = new List<EpisodeSpan>(ranges.Count);
        var previousEnd = 0;
        foreach (var (a, b) in ranges)
        {
            int first = -1, end = -1;
            for (var j = previousEnd; j < starts.Length && starts[j] < b; j++)
            {
                var overlaps = starts[j] == ends[j] ? starts[j] >= a : ends[j] > a;
                if (!overlaps) continue;
                if (first < 0) first = j;
                end = j + 1;
            }
            if (first < 0) continue;
            spans.Add(new EpisodeSpan(spans.Count, first, end));
            previousEnd = end;
        }
        return spans;
    }
}
