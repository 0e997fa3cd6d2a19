using System.Text.Json;

namespace Rollout.Server.Protocol;

/// <summary>
/// The fields of a JSON request object, read by name with their type checked: a field of the wrong type is refused
/// with a message naming it (with its path inside nested objects). Null counts as absent, as in OpenAI's API.
/// </summary>
internal sealed class JsonFields(JsonElement obj, string path = "")
{
    public static async Task<JsonFields> ReadAsync(Stream body, CancellationToken cancel)
    {
        JsonDocument document;
        try { document = await JsonDocument.ParseAsync(body, cancellationToken: cancel); }
        catch (JsonException e) { throw ApiError.BadJson(e.Message); }
        if (document.RootElement.ValueKind != JsonValueKind.Object) throw ApiError.BadJson("the body must be a JSON object");
        return new JsonFields(document.RootElement);
    }

    public string Name(string field) => path + field;

    public bool Has(string field) => Get(field) != null;

    public JsonElement? Get(string field) =>
        obj.TryGetProperty(field, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    public string? String(string field) => Get(field) switch
    {
        null => null,
        { ValueKind: JsonValueKind.String } v => v.GetString()!,
        _ => throw ApiError.Invalid(Name(field), "must be a string"),
    };

    public double? Number(string field) => Get(field) switch
    {
        null => null,
        { ValueKind: JsonValueKind.Number } v => v.GetDouble(),
        _ => throw ApiError.Invalid(Name(field), "must be a number"),
    };

    public int? Integer(string field) => Get(field) switch
    {
        null => null,
        { ValueKind: JsonValueKind.Number } v when v.TryGetInt32(out var i) => i,
        // 2.0 is an integer to JSON Schema and to Python's SDK.
        { ValueKind: JsonValueKind.Number } v when v.TryGetDouble(out var d) && d == Math.Floor(d) && Math.Abs(d) <= int.MaxValue => (int)d,
        { ValueKind: JsonValueKind.Number } => throw ApiError.Invalid(Name(field), $"must be an integer in [{int.MinValue}, {int.MaxValue}]"),
        _ => throw ApiError.Invalid(Name(field), "must be an integer"),
    };

    /// <summary>A non-negative integer up to 2⁶⁴ − 1 (a seed).</summary>
    public ulong? Unsigned(string field) => Get(field) switch
    {
        null => null,
        { ValueKind: JsonValueKind.Number } v when v.TryGetUInt64(out var u) => u,
        _ => throw ApiError.Invalid(Name(field), "must be an integer ≥ 0"),
    };

    public bool? Bool(string field) => Get(field) switch
    {
        null => null,
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.False } => false,
        _ => throw ApiError.Invalid(Name(field), "must be true or false"),
    };

    public JsonFields? Object(string field) => Get(field) switch
    {
        null => null,
        { ValueKind: JsonValueKind.Object } v => new JsonFields(v, Name(field) + "."),
        _ => throw ApiError.Invalid(Name(field), "must be an object"),
    };

    /// <summary>A string or a list of strings (OpenAI's <c>stop</c> and <c>prompt</c>).</summary>
    public IReadOnlyList<string>? Strings(string field) => Get(field) switch
    {
        null => null,
        { ValueKind: JsonValueKind.String } v => [v.GetString()!],
        { ValueKind: JsonValueKind.Array } v when v.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String) =>
            v.EnumerateArray().Select(e => e.GetString()!).ToList(),
        _ => throw ApiError.Invalid(Name(field), "must be a string or a list of strings"),
    };
}
