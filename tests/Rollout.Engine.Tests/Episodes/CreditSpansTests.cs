using Rollout.Engine.Episodes;

namespace Rollout.Engine.Tests.Episodes;

public class CreditSpansTests
{
    [Fact]
    public void Cuts_at_episode_starts_from_token_zero_to_the_end()
    {
        // Episodes at tokens 2..7 and 8..11 of 13: <think> (0, 1) joins the first, the answer (11, 12) the last.
        var spans = CreditSpans.From([new EpisodeSpan(0, 2, 7), new EpisodeSpan(1, 8, 11)], 13);
        Assert.Equal([new EpisodeSpan(0, 0, 8), new EpisodeSpan(1, 8, 13)], spans);
    }

    [Fact]
    public void A_single_episode_covers_everything()
    {
        Assert.Equal([new EpisodeSpan(0, 0, 5)], CreditSpans.From([new EpisodeSpan(0, 1, 3)], 5));
        Assert.Equal([new EpisodeSpan(0, 0, 0)], CreditSpans.From([new EpisodeSpan(0, 0, 0)], 0));
    }

    [Fact]
    public void Every_token_is_in_exactly_one_span()
    {
        var spans = CreditSpans.From([new EpisodeSpan(0, 3, 4), new EpisodeSpan(1, 4, 9), new EpisodeSpan(2, 12, 15)], 20);
        var owners = new int[20];
        foreach (var s in spans)
            for (var t = s.Start; t < s.End; t++) owners[t]++;
        Assert.All(owners, n => Assert.Equal(1, n));
    }
}
