using System.Text.Json;

namespace Rollout.Engine.Tests.Support;

/// <summary>
/// Asserts a rollout read from another format holds what its JSONL line holds: every field equal, a field absent on
/// one side null (or absent) on the other, numbers equal to float32 precision (the per-token lists are float32), a
/// NaN written as the string "NaN", an object as its JSON text.
/// </summary>
internal static class SameRow
{
    public static void Assert(JsonElement jsonl, JsonElement other, string where)
    {
        var names = Names(jsonl).Union(Names(other));
        foreach (var name in names)
            Same(Field(jsonl, name), Field(other, name), $"{where}.{name}");
    }

    private static IEnumerable<string> Names(JsonElement e) => e.ValueKind == JsonValueKind.Object ? e.EnumerateObject().Select(p => p.Name) : [];

    private static JsonElement? Field(JsonElement e, string name) =>
        e.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    private static void Same(JsonElement? expected, JsonElement? actual, string where)
    {
        if (expected is null || actual is null)
        {
            Xunit.Assert.True(expected is null && actual is null, $"{where}: {expected?.ToString() ?? "null"} against {actual?.ToString() ?? "null"}");
            return;
        }
        var (a, b) = (expected.Value, actual.Value);
        switch (a.ValueKind)
        {
            case JsonValueKind.Object:
                // A nested object another format keeps as JSON text (Parquet's settings column).
                Assert(a, b.ValueKind == JsonValueKind.String ? JsonDocument.Parse(b.GetString()!).RootElement : b, where);
                break;
            case JsonValueKind.Array:
                Xunit.Assert.True(b.ValueKind == JsonValueKind.Array, $"{where}: a list against {b}");
                var (x, y) = (a.EnumerateArray().ToList(), b.EnumerateArray().ToList());
                Xunit.Assert.True(x.Count == y.Count, $"{where}: {x.Count} items against {y.Count}");
                for (int i = 0; i < x.Count; i++) Same(x[i], y[i], $"{where}[{i}]");
                break;
            case JsonValueKind.Number:
                double p = a.GetDouble(), q = b.ValueKind == JsonValueKind.String ? double.Parse(b.GetString()!) : b.GetDouble();
                Xunit.Assert.True(Math.Abs(p - q) <= 1e-7 * Math.Max(1, Math.Abs(p)), $"{where}: {p} against {q}");
                break;
            default:
                Xunit.Assert.True(a.ToString() == b.ToString(), $"{where}: {a} against {b}");
                break;
        }
    }
}
