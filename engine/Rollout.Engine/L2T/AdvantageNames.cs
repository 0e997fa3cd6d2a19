using Rollout.Kernels;

namespace Rollout.Engine.L2T;

/// <summary>The advantage modes by the names users write (spec §5): options, output files and experiments.</summary>
public static class AdvantageNames
{
    public static readonly IReadOnlyDictionary<string, AdvantageBaseline> All = new Dictionary<string, AdvantageBaseline>
    {
        ["l2t"] = AdvantageBaseline.L2T, ["l2t-rtg"] = AdvantageBaseline.L2TRewardToGo,
        ["grpo"] = AdvantageBaseline.Grpo, ["length"] = AdvantageBaseline.Length,
    };

    public static string Of(AdvantageBaseline baseline) => All.First(p => p.Value == baseline).Key;

    /// <param name="input">What to name in the error: an option or a file position.</param>
    public static AdvantageBaseline Parse(string input, string value) =>
        All.TryGetValue(value, out var baseline)
            ? baseline
            : throw new InputException($"{input}: '{value}' is not one of {string.Join(", ", All.Keys)}");
}
