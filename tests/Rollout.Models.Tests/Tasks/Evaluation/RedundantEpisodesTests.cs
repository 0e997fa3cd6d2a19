using Rollout.Engine.Tokenization;
using Rollout.Models.Tasks.Evaluation;

namespace Rollout.Models.Tests.Tasks.Evaluation;

public class RedundantEpisodesTests
{
    private const string Text =
        "<think><episode_1>so far: 12</episode_1><episode_2>12 + 7 = 19</episode_2><episode_3>check: 19</episode_3></think>\n#### 19";

    [Fact]
    public void BlocksSayWhichEpisodesHoldNoOperation()
    {
        var blocks = RedundantEpisodes.Blocks(Text);
        Assert.Equal([true, false, true], blocks.Select(b => b.IsRedundant));
        Assert.Equal("<episode_3>check: 19</episode_3>", Text[blocks[2].Start..blocks[2].End]);
        Assert.True(RedundantEpisodes.IsRedundant("restate: the value is 17"));
        Assert.True(RedundantEpisodes.IsRedundant("<episode_12>so far: 17</episode_12>"));
        Assert.False(RedundantEpisodes.IsRedundant("<episode_2>17 -3 = 14</episode_2>"));
    }

    /// <summary>
    /// A tokenization written out by hand, 23 tokens with the end-of-text: episode 1 is tokens 1–6
    /// (<c>&lt;episode_1&gt;</c> "so" " far" ":" " 12" <c>&lt;/episode_1&gt;</c>), episode 3 is tokens 14–18
    /// (<c>&lt;episode_3&gt;</c> "check" ":" " 19" <c>&lt;/episode_3&gt;</c>): 11 redundant tokens.
    /// </summary>
    [Fact]
    public void TokensCountsEveryTokenOfTheRedundantEpisodesAndNoOther()
    {
        string[] pieces =
        [
            "<think>", "<episode_1>", "so", " far", ":", " 12", "</episode_1>", "<episode_2>", "12", " +", " 7", " =", " 19",
            "</episode_2>", "<episode_3>", "check", ":", " 19", "</episode_3>", "</think>", "\n####", " 19", "<|endoftext|>",
        ];
        Assert.Equal(23, pieces.Length);
        Assert.Equal(11, RedundantEpisodes.Tokens(Decoded(pieces)));
    }

    [Fact]
    public void TokensCountsATokenThatOverlapsARedundantEpisode()
    {
        // The middle token ends the redundant episode 1 and opens episode 2: it counts, once.
        string[] pieces = ["<episode_1>check: 1", "9</episode_1><episode_2>1", "9 + 1 = 20</episode_2>"];
        Assert.Equal(2, RedundantEpisodes.Tokens(Decoded(pieces)));
    }

    private static DecodedText Decoded(string[] pieces)
    {
        var starts = new int[pieces.Length];
        var ends = new int[pieces.Length];
        for (int i = 0, at = 0; i < pieces.Length; at += pieces[i].Length, i++) (starts[i], ends[i]) = (at, at + pieces[i].Length);
        return new DecodedText(string.Concat(pieces), starts, ends);
    }
}
