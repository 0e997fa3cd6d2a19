using System.Text.RegularExpressions;
using Rollout.Engine.Tokenization;

namespace Rollout.Models.Tasks.Evaluation;

/// <summary>
/// Which episodes of a completion are redundant: <c>&lt;episode_k&gt;…&lt;/episode_k&gt;</c> blocks with no operation
/// in them (no <c>a + b</c> or <c>a - b</c>), so they can only restate a value already known (<c>check: 17</c>,
/// <c>so far: 17</c>). The one definition behind <see cref="EpisodeCount"/>, the evaluator's
/// <c>redundant_token_share</c> and an RL trainer's per-rollout redundant share.
/// </summary>
/// <example>
/// A rollout's redundant share, as the evaluator computes it:
/// <code>RedundantEpisodes.Tokens(tokenizer.DecodeWithOffsets(rollout.TokenIds)) / (double)rollout.TokenIds.Length</code>
/// For a rollout whose episodes parsed (<c>FormatOk</c>), <see cref="Blocks"/>(rollout.Text)[k] is the engine's
/// episode k, so summing the lengths of the redundant ones' token spans gives the same count.
/// </example>
public static partial class RedundantEpisodes
{
    [GeneratedRegex(@"<episode_(\d+)>(.*?)</episode_\1>", RegexOptions.Singleline)]
    private static partial Regex EpisodeBlock();

    [GeneratedRegex(@"\d\s*[+\-]\s*\d")]
    private static partial Regex Operation();

    /// <summary>True when <paramref name="episodeText"/> (an episode's body, with or without its tags) holds no operation.</summary>
    /// <remarks>The tags cannot form an operation: their digits are followed by <c>&gt;</c> and preceded by <c>_</c>.</remarks>
    public static bool IsRedundant(string episodeText) => !Operation().IsMatch(episodeText);

    /// <summary>
    /// The episode blocks of <paramref name="completion"/> in order, each with its char range and whether it is
    /// redundant. Lenient: any well-paired block counts, wherever it sits and however the blocks are numbered.
    /// </summary>
    public static IReadOnlyList<EpisodeBlock> Blocks(string completion) =>
        EpisodeBlock().Matches(completion)
            .Select(m => new EpisodeBlock(m.Index, m.Index + m.Length, IsRedundant(m.Groups[2].Value)))
            .ToList();

    /// <summary>
    /// How many of the completion's tokens lie in redundant episodes: those whose chars overlap a redundant block
    /// (a zero-width token when it sits inside one), the rule the engine's episode spans follow; a token shared with
    /// the next episode counts once. With the episode tags single tokens, that is each redundant episode from its
    /// opening tag to its closing tag.
    /// </summary>
    /// <param name="decoded">The completion's tokens decoded with their char offsets (<see cref="TextTokenizer.DecodeWithOffsets"/>).</param>
    public static int Tokens(DecodedText decoded)
    {
        var redundant = Blocks(decoded.Text).Where(b => b.IsRedundant).ToList();
        int count = 0;
        for (int i = 0; i < decoded.TokenStarts.Length; i++)
        {
            int start = decoded.TokenStarts[i], end = decoded.TokenEnds[i];
            if (redundant.Any(b => start == end ? start >= b.Start && start < b.End : start < b.End && end > b.Start)) count++;
        }
        return count;
    }
}
