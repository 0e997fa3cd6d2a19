namespace Rollout.Models.Tasks.Evaluation;

/// <summary>
/// How many <c>&lt;episode_k&gt;…&lt;/episode_k&gt;</c> blocks a completion holds, and how many of them are redundant
/// (see <see cref="RedundantEpisodes"/>).
/// </summary>
public readonly record struct EpisodeCount(int Episodes, int Redundant)
{
    public static EpisodeCount Of(string completion)
    {
        var blocks = RedundantEpisodes.Blocks(completion);
        return new EpisodeCount(blocks.Count, blocks.Count(b => b.IsRedundant));
    }
}
