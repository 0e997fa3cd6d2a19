using System.Collections;
using System.Globalization;
using Parquet.Serialization;

namespace Rollout.Engine.Prompts;

/// <summary>
/// A Parquet prompt file in verl's layout: <c>prompt</c> = list of {role, content} structs,
/// optional <c>reward_model</c> struct whose <c>ground_truth</c> is the answer, optional
/// <c>data_source</c> string, optional <c>extra_info</c> struct whose <c>index</c> is the prompt id
/// (else the 0-based row number). Other columns (ability, …) are ignored. Errors name file and row.
/// </summary>
internal static class ParquetPrompts
{
    public static List<Prompt> Read(string path)
    {
        DeserializationResult<Dictionary<string, object>> table;
        try
        {
            using var stream = File.OpenRead(path);
            table = ParquetSerializer.DeserializeUntypedAsync(stream).GetAwaiter().GetResult();
        }
        catch (Exception e) // whatever the reader rejects, the file is the problem
        {
            throw new InputException($"{path}: cannot read as Parquet ({e.Message})", e);
        }
        if (!table.Schema.Fields.Any(f => f.Name == "prompt"))
            throw new InputException($"{path}: no \"prompt\" column (expected verl's layout: prompt = list of {{role, content}})");
        var rows = table.Data;

        var prompts = new List<Prompt>(rows.Count);
        for (var r = 0; r < rows.Count; r++)
        {
            var row = rows[r];
            var where = $"{path}: row {r}";
            var id = Scalar(Field(Field(row, "extra_info"), "index"), "extra_info.index", where)
                ?? r.ToString(CultureInfo.InvariantCulture);
            var answer = Scalar(Field(Field(row, "reward_model"), "ground_truth"), "reward_model.ground_truth", where);
            var dataSource = Scalar(Field(row, "data_source"), "data_source", where);
            prompts.Add(new Prompt(id, null, Messages(Field(row, "prompt"), where), answer, dataSource));
        }
        return prompts;
    }

    private static List<ChatMessage> Messages(object? column, string where)
    {
        if (column is not IEnumerable list || column is string)
            throw new InputException($"{where}: column \"prompt\" must be a list of {{role, content}} structs");
        var messages = new List<ChatMessage>();
        foreach (var item in list)
        {
            if (Field(item, "role") is not string role || Field(item, "content") is not string content)
                throw new InputException($"{where}: message {messages.Count + 1} of \"prompt\" needs string role and content");
            messages.Add(new ChatMessage(role, content));
        }
        if (messages.Count == 0) throw new InputException($"{where}: \"prompt\" has no messages");
        return messages;
    }

    /// <summary>A struct's field, or null when the struct or the field is absent.</summary>
    private static object? Field(object? structValue, string name) =>
        structValue is IDictionary<string, object> fields && fields.TryGetValue(name, out var v) ? v : null;

    private static string? Scalar(object? value, string name, string where) => value switch
    {
        null => null,
        string s => s,
        IFormattable f when value.GetType().IsPrimitive || value is decimal => f.ToString(null, CultureInfo.InvariantCulture),
        _ => throw new InputException($"{where}: \"{name}\" must be a string or a number (got {value.GetType().Name})"),
    };
}
