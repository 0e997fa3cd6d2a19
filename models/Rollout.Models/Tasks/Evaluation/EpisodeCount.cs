using System.Text.RegularExpressions;

namespace Rollout.Models.Tasks.Evaluation;

/// <summary>
/// The <c>&lt;episode_k&gt;…&lt;/episode_k&gt;</c> blocks of a completion, and how many of them are redundant:
/// they hold no operation (no <c>a + b</c> or <c>a - b</c>), so they can only restate a value already known.
/// </summary>
public readonly partial record struct EpisodeCount(int Episodes, int Redundant)
{
    [GeneratedRegex(@"<episode_(\d+)>(.*?)</episode_\1>", RegexOptions.Singleline)]
    private static partial Regex EpisodeBlock();

    [GeneratedRegex(@"\d\s*[+\-]\s*\d")]
    private static partial Regex Operation();

    public static EpisodeCount Of(string completion)
    {
        int episodes = 0, redundant = 0;
        foreach (Match m in EpisodeBlock().Matches(completion))
        {
            episodes++;
            if (!Operation().IsMatch(m.Groups[2].Value)) redundant++;
        }
        return new EpisodeCount(episodes, redundant);
    }
}
