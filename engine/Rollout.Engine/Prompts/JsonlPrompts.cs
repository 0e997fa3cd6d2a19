using System.Text.Json;

namespace Rollout.Engine.Prompts;

/// <summary>
/// A JSONL prompt file, one object per line: <c>{"id", "prompt": "raw text"}</c> or
/// <c>{"id", "messages": [{"role", "content"}, …]}</c> (verl's <c>"prompt": [messages]</c> is accepted too),
/// with optional <c>"answer"</c> and <c>"data_source"</c>. A missing id becomes the 1-based line number;
/// numeric ids and answers keep their JSON text. Blank lines are skipped. Errors name file:line.
/// </summary>
internal static class JsonlPrompts
{
    public static List<Prompt> Read(string path)
    {
        var prompts = new List<Prompt>();
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var where = $"{path}:{lineNumber}";
            JsonDocument doc;
            try { doc = JsonDocument.Parse(line); }
            catch (JsonException e) { throw new InputException($"{where}: invalid JSON ({e.Message})", e); }
            using (doc) prompts.Add(Parse(doc.RootElement, where, lineNumber));
        }
        return prompts;
    }

    private static Prompt Parse(JsonElement obj, string where, int lineNumber)
    {
        if (obj.ValueKind != JsonValueKind.Object) throw new InputException($"{where}: expected a JSON object");
        var id = Scalar(obj, "id", where) ?? lineNumber.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var answer = Scalar(obj, "answer", where);
        var dataSource = Scalar(obj, "data_source", where);
        var hasPrompt = obj.TryGetProperty("prompt", out var prompt) && prompt.ValueKind != JsonValueKind.Null;
        var hasMessages = obj.TryGetProperty("messages", out var messages) && messages.ValueKind != JsonValueKind.Null;
        if (hasPrompt == hasMessages) throw new InputException($"{where}: needs exactly one of \"prompt\" and \"messages\"");
        if (hasMessages) return new Prompt(id, null, Messages(messages, "messages", where), answer, dataSource);
        return prompt.ValueKind switch
        {
            JsonValueKind.String => new Prompt(id, prompt.GetString()!, null, answer, dataSource),
            JsonValueKind.Array => new Prompt(id, null, Messages(prompt, "prompt", where), answer, dataSource),
            _ => throw new InputException($"{where}: \"prompt\" must be a string or a list of messages"),
        };
    }

    private static List<ChatMessage> Messages(JsonElement list, string name, string where)
    {
        if (list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0)
            throw new InputException($"{where}: \"{name}\" must be a non-empty list of {{\"role\", \"content\"}} objects");
        var messages = new List<ChatMessage>();
        foreach (var m in list.EnumerateArray())
        {
            if (m.ValueKind != JsonValueKind.Object
                || !m.TryGetProperty("role", out var role) || role.ValueKind != JsonValueKind.String
                || !m.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.String)
                throw new InputException($"{where}: message {messages.Count + 1} of \"{name}\" needs string \"role\" and \"content\"");
            messages.Add(new ChatMessage(role.GetString()!, content.GetString()!));
        }
        return messages;
    }

    /// <summary>A string, number or boolean field as text; null when absent or JSON null.</summary>
    private static string? Scalar(JsonElement obj, string name, string where)
    {
        if (!obj.TryGetProperty(name, out var v)) return null;
        return v.ValueKind switch
        {
            JsonValueKind.Null => null,
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => v.GetRawText(),
            _ => throw new InputException($"{where}: \"{name}\" must be a string or a number"),
        };
    }
}
