using System.Text.Json.Nodes;

namespace Rollout.Cluster.Tests.Support;

/// <summary>
/// Cluster output against the local engine's: the same lines in the same order, every string, boolean and integer (token
/// ids, episode spans, sample indices) identical, every other number close. A rollout's numbers differ only by float32
/// summation order with the batch it shares: within 1e-5 (relative, or absolute below 1) for what the model gives
/// (log-probabilities, entropies, probes), 1e-4 for the L2T terms derived from them, and 1e-2 for advantages: the group
/// advantage divides by the group's std + 1e-4, so where a group's rewards tie, their 1e-7 noise becomes up to ~1e-3
/// (measured: see the test output), against advantages clipped at ±5.
/// </summary>
internal sealed class RolloutComparison
{
    private static readonly HashSet<string> Derived = ["token_rewards", "penalty", "penalty_normalized", "process_reward", "reward", "fit_gain"];

    private static double Tolerance(string field) => field == "advantages" ? 1e-2 : Derived.Contains(field) ? 1e-4 : 1e-5;

    /// <summary>The largest relative difference seen per field, for the test output.</summary>
    public Dictionary<string, double> Largest { get; } = [];

    public static RolloutComparison AssertSameLines(IReadOnlyList<string> expected, IReadOnlyList<string> actual)
    {
        var comparison = new RolloutComparison();
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++) comparison.Same(JsonNode.Parse(expected[i]), JsonNode.Parse(actual[i]), $"line {i + 1}", "");
        return comparison;
    }

    public override string ToString() => string.Join(", ", Largest.Where(p => p.Value > 0).OrderBy(p => p.Key).Select(p => $"{p.Key} {p.Value:G2}"));

    private void Same(JsonNode? a, JsonNode? b, string where, string field)
    {
        switch (a)
        {
            case null:
                Assert.True(b == null, $"{where}: null against {b?.ToJsonString()}");
                break;
            case JsonObject o:
                var other = Assert.IsType<JsonObject>(b);
                Assert.Equal(o.Select(p => p.Key), other.Select(p => p.Key));
                foreach (var (key, value) in o) Same(value, other[key], $"{where}.{key}", key);
                break;
            case JsonArray array:
                var list = Assert.IsType<JsonArray>(b);
                Assert.True(array.Count == list.Count, $"{where}: {array.Count} items against {list.Count}");
                for (int i = 0; i < array.Count; i++) Same(array[i], list[i], $"{where}[{i}]", field);
                break;
            default:
                var (x, y) = (a.AsValue(), Assert.IsType<JsonValue>(b, exactMatch: false));
                if (x.TryGetValue<long>(out var whole) && y.TryGetValue<long>(out var otherWhole))
                    Assert.True(whole == otherWhole, $"{where}: {whole} against {otherWhole}");
                else if (x.TryGetValue<double>(out var number))
                {
                    var otherNumber = y.GetValue<double>();
                    double difference = Math.Abs(number - otherNumber) / Math.Max(1, Math.Abs(number));
                    Largest[field] = Math.Max(Largest.GetValueOrDefault(field), difference);
                    Assert.True(difference <= Tolerance(field), $"{where}: {number} against {otherNumber}");
                }
                else Assert.True(x.ToJsonString() == y.ToJsonString(), $"{where}: {x.ToJsonString()} against {y.ToJsonString()}");
                break;
        }
    }
}
