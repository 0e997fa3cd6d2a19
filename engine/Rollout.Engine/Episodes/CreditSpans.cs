namespace Rollout.Engine.Episodes;

/// <summary>
/// The credit-assignment cut of spec §2: episode k's credit span runs from its first token to the
/// first token of episode k+1; the first starts at token 0 (so <c>&lt;think&gt;</c> joins episode 1) and
/// the last runs to the end (so the answer joins episode K). Every token is in exactly one span.
/// </summary>
internal static class CreditSpans
{
    /// <param name="episodes">Disjoint episodes in order, at least one (as <see cref="EpisodeSegmenter"/> returns).</param>
    /// <param name="tokenCount">The completion's token count.</param>
    public static EpisodeSpan[] From(IReadOnlyList<EpisodeSpan> episodes, int tokenCount)
    {
        if (episodes.Count == 0) throw new ArgumentException("no episodes: a segmentation always has at least one", nameof(episodes));
        var spans = new EpisodeSpan[episodes.Count];
        for (var k = 0; k < spans.Length; k++)
        {
            var start = k == 0 ? 0 : episodes[k].Start;
            var end = k == spans.Length - 1 ? tokenCount : episodes[k + 1].Start;
            spans[k] = new EpisodeSpan(episodes[k].Index, start, end);
        }
        return spans;
    }
}
