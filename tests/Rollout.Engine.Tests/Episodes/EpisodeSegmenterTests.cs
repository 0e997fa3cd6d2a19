using Rollout.Engine.Episodes;

namespace Rollout.Engine.Tests.Episodes;

public class EpisodeSegmenterTests
{
    private static void AssertMalformed(Segmentation s, int tokenCount)
    {
        Assert.False(s.FormatOk);
        Assert.Equal([new EpisodeSpan(0, 0, tokenCount)], s.Episodes);
    }

    [Fact]
    public void Tags_split_over_several_tokens_take_all_of_them()
    {
        var t = Tokens.Of(
            "<think>", "\n", "<epis", "ode_1>", "a b", "</episode_1", ">", "\n", // 0..7
            "<episode_2>", "c", "</episode_2>", "</think>", "42");              // 8..12
        var s = t.Segment("tags");
        Assert.True(s.FormatOk);
        Assert.Equal([new EpisodeSpan(0, 2, 7), new EpisodeSpan(1, 8, 11)], s.Episodes);
    }

    [Fact]
    public void A_token_shared_by_two_episodes_goes_to_the_first()
    {
        // Token 5 "><" ends episode 1 and starts episode 2.
        var t = Tokens.Of("<think>", "<episode_1", ">", "x", "</episode_1", "><", "episode_2>", "y", "</episode_2>", "</think>");
        var s = t.Segment("tags");
        Assert.True(s.FormatOk);
        Assert.Equal([new EpisodeSpan(0, 1, 6), new EpisodeSpan(1, 6, 9)], s.Episodes);
    }

    [Fact]
    public void The_think_block_may_be_opened_by_the_prompt()
    {
        var t = Tokens.Of("<episode_1>", "a", "</episode_1>", "</think>", "b");
        var s = t.Segment("tags");
        Assert.True(s.FormatOk);
        Assert.Equal([new EpisodeSpan(0, 0, 3)], s.Episodes);
    }

    [Theory]
    [InlineData("<think><episode_1>a</think>")]                                   // unclosed episode
    [InlineData("<think><episode_1>a</episode_1><episode_2>b</think>")]           // last one unclosed
    [InlineData("<think><episode_1>a</episode_1><episode_3>b</episode_3></think>")] // numbering gap
    [InlineData("<think><episode_2>a</episode_2></think>")]                       // does not start at 1
    [InlineData("<think><episode_1>a<episode_2>b</episode_2></episode_1></think>")] // nested
    [InlineData("<think><episode_01>a</episode_01></think>")]                     // not canonical
    [InlineData("<think><episode_1>a</episode_1>")]                               // think never closed
    [InlineData("<think><episode_1>a</episode_1></think><episode_2>b</episode_2>")] // outside the block
    [InlineData("<think>a</think><think><episode_1>a</episode_1></think>")]       // two think blocks
    [InlineData("<think>just thinking</think> 42")]                               // no episode
    public void Malformed_tags_give_one_episode_and_format_not_ok(string text)
    {
        var t = Tokens.Of(text.Select(c => c.ToString()).ToArray());
        AssertMalformed(t.Segment("tags"), text.Length);
    }

    [Fact]
    public void An_empty_completion_is_one_empty_episode_and_format_not_ok()
    {
        AssertMalformed(Tokens.Of().Segment("tags"), 0);
        AssertMalformed(Tokens.Of().Segment("think"), 0);
        AssertMalformed(Tokens.Of().Segment("regex:\\n\\n"), 0);
    }

    [Fact]
    public void Think_mode_makes_each_block_an_episode()
    {
        var t = Tokens.Of("<th", "ink>", "a", "</think>", " so ", "<think>", "b", "</thi", "nk>", " 42");
        var s = t.Segment("think");
        Assert.True(s.FormatOk);
        Assert.Equal([new EpisodeSpan(0, 0, 4), new EpisodeSpan(1, 5, 9)], s.Episodes);
    }

    [Fact]
    public void Think_mode_first_block_may_be_opened_by_the_prompt()
    {
        var s = Tokens.Of("a", "</think>", "<think>", "b", "</think>").Segment("think");
        Assert.True(s.FormatOk);
        Assert.Equal([new EpisodeSpan(0, 0, 2), new EpisodeSpan(1, 2, 5)], s.Episodes);
    }

    [Theory]
    [InlineData("<think>a<think>b</think></think>")] // nested
    [InlineData("<think>a</think><think>b")]         // unclosed
    [InlineData("<think>a</think>b</think>")]        // stray close
    [InlineData("no blocks")]
    public void Think_mode_malformed(string text)
    {
        var t = Tokens.Of(text.Select(c => c.ToString()).ToArray());
        AssertMalformed(t.Segment("think"), text.Length);
    }

    [Fact]
    public void Regex_mode_ends_an_episode_at_each_match_and_keeps_the_tail()
    {
        // Chars: "s1" 0-2, "\n\n" 2-4, "s2" 4-6, "\n" 6-7, "\nans" 7-11. Matches end at 4 and 8; the third
        // episode "ans" (8-11) lies inside token 4, which the second episode already holds, so it is dropped.
        var s = Tokens.Of("s1", "\n\n", "s2", "\n", "\nans").Segment("regex:\\n\\n");
        Assert.True(s.FormatOk);
        Assert.Equal([new EpisodeSpan(0, 0, 2), new EpisodeSpan(1, 2, 5)], s.Episodes);
    }

    [Fact]
    public void Regex_mode_zero_width_pattern_cuts_before_each_match()
    {
        var s = Tokens.Of("Step", " 1", " x ", "Step", " 2", " y").Segment(@"regex:(?=Step \d)");
        Assert.True(s.FormatOk);
        Assert.Equal([new EpisodeSpan(0, 0, 3), new EpisodeSpan(1, 3, 6)], s.Episodes);
    }

    [Fact]
    public void Regex_mode_without_a_match_is_malformed()
    {
        AssertMalformed(Tokens.Of("one", " block").Segment("regex:\\n\\n"), 2);
    }

    [Fact]
    public void Zero_width_tokens_join_the_episode_they_sit_in()
    {
        // Token 2 decodes to nothing (e.g. half of a multi-byte character) at char 11, inside episode 1.
        var t = new Tokens("<episode_1>a</episode_1></think>", [0, 11, 11, 12, 24], [11, 11, 12, 24, 32]);
        var s = t.Segment("tags");
        Assert.Equal([new EpisodeSpan(0, 0, 4)], s.Episodes);
    }

    [Fact]
    public void Offsets_of_different_lengths_are_a_bug()
    {
        Assert.Throws<ArgumentException>(() => EpisodeSegmenter.Segment(EpisodeSpec.Parse("tags"), "ab", [0, 1], [1]));
    }
}
