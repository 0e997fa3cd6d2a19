using System.Text.RegularExpressions;
using Rollout.Engine.Generation;

namespace Rollout.Engine.Episodes;

/// <summary>The episode mode chosen by the user, with its pattern in <see cref="EpisodeMode.Regex"/> mode.</summary>
public sealed record EpisodeSpec(EpisodeMode Mode, Regex? Pattern = null)
{
    private const string Setting = nameof(GenerationOptions.Episodes);

    /// <summary>Parses <c>tags</c>, <c>think</c> or <c>regex:&lt;pattern&gt;</c> (.NET regex syntax).</summary>
    public static EpisodeSpec Parse(string spec)
    {
        const string regexPrefix = "regex:";
        if (spec == "tags") return new EpisodeSpec(EpisodeMode.Tags);
        if (spec == "think") return new EpisodeSpec(EpisodeMode.Think);
        if (!spec.StartsWith(regexPrefix, StringComparison.Ordinal))
            throw InputException.ForSetting(Setting, $": unknown mode '{spec}' (expected tags, think or regex:<pattern>)");
        var pattern = spec[regexPrefix.Length..];
        if (pattern.Length == 0) throw InputException.ForSetting(Setting, ": regex: needs a pattern, e.g. regex:\\n\\n");
        try
        {
            return new EpisodeSpec(EpisodeMode.Regex, new Regex(pattern, RegexOptions.CultureInvariant));
        }
        catch (ArgumentException e)
        {
            throw new InputException($"{Setting}: invalid regex '{pattern}': {e.Message}", e, Setting);
        }
    }

    public override string ToString() => Mode switch
    {
        EpisodeMode.Tags => "tags",
        EpisodeMode.Think => "think",
        _ => "regex:" + Pattern,
    };
}
