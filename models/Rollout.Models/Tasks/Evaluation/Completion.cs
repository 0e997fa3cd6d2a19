using Rollout.Engine.Generation;
using Rollout.Engine.Tokenization;

namespace Rollout.Models.Tasks.Evaluation;

/// <summary>
/// One sampled completion: its text, how many tokens the model generated for it, and how many of those lie in
/// redundant episodes (<see cref="RedundantEpisodes.Tokens"/>).
/// </summary>
public sealed record Completion(string Text, int Tokens, int RedundantTokens)
{
    /// <summary>An engine rollout, its redundant tokens counted on its own token ids (the ending EOS lies outside every episode).</summary>
    public static Completion Of(RolloutResult rollout, TextTokenizer tokenizer) =>
        new(rollout.Text, rollout.TokenIds.Length, RedundantEpisodes.Tokens(tokenizer.DecodeWithOffsets(rollout.TokenIds)));
}
