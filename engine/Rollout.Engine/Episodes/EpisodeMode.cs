namespace Rollout.Engine.Episodes;

/// <summary>How a completion is cut into episodes (spec §2).</summary>
public enum EpisodeMode
{
    /// <summary><c>&lt;episode_N&gt;…&lt;/episode_N&gt;</c> blocks inside <c>&lt;think&gt;…&lt;/think&gt;</c>.</summary>
    Tags,
    /// <summary>Every <c>&lt;think&gt;…&lt;/think&gt;</c> block is one episode.</summary>
    Think,
    /// <summary>Episodes end where a user pattern matches.</summary>
    Regex,
}
