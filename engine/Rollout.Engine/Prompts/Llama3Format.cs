using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Rollout.Engine.Prompts;

/// <summary>
/// Llama 3: the bos token, then <c>&lt;|start_header_id|&gt;{role}&lt;|end_header_id|&gt;\n\n{content, trimmed}&lt;|eot_id|&gt;</c>
/// per message, generation prompt <c>&lt;|start_header_id|&gt;assistant&lt;|end_header_id|&gt;\n\n</c>.
/// Llama 3.1–3.3 templates (recognised by their "Cutting Knowledge Date:") always open with a system turn
/// <c>Cutting Knowledge Date: {date}\nToday Date: {date_string}\n\n{system message, trimmed, or ""}</c>;
/// date_string is the template's default, or today's date ("%d %b %Y") where the template asks
/// strftime_now for it, as HF does (Llama 3.2).
/// </summary>
internal sealed partial record Llama3Format(string? DatedSystemPreamble)
{
    public const string Marker = "<|start_header_id|>";

    [GeneratedRegex(@"Cutting Knowledge Date: ([^""'\\]*)", RegexOptions.CultureInvariant)]
    private static partial Regex KnowledgeDate();

    [GeneratedRegex(@"set date_string = [""']([^""']*)[""']", RegexOptions.CultureInvariant)]
    private static partial Regex DefaultDate();

    public static Llama3Format FromTemplate(string template)
    {
        var knowledge = KnowledgeDate().Match(template);
        if (!knowledge.Success) return new Llama3Format(DatedSystemPreamble: null);
        var today = template.Contains("strftime_now", StringComparison.Ordinal)
            ? DateTime.Now.ToString("dd MMM yyyy", CultureInfo.InvariantCulture)
            : DefaultDate().Match(template) is { Success: true } d ? d.Groups[1].Value
            : throw new InputException("the Llama 3.1-style chat template sets no default date_string; it is not supported");
        return new Llama3Format($"Cutting Knowledge Date: {knowledge.Groups[1].Value}\nToday Date: {today}\n\n");
    }

    public string Render(IReadOnlyList<ChatMessage> messages, string bosToken, bool addGenerationPrompt)
    {
        var sb = new StringBuilder(bosToken);
        var first = 0;
        if (DatedSystemPreamble != null)
        {
            var hasSystem = messages.Count > 0 && messages[0].Role == "system";
            Turn(sb, "system", DatedSystemPreamble + (hasSystem ? messages[0].Content.Trim() : ""));
            if (hasSystem) first = 1;
        }
        for (var i = first; i < messages.Count; i++) Turn(sb, messages[i].Role, messages[i].Content.Trim());
        if (addGenerationPrompt) sb.Append("<|start_header_id|>assistant<|end_header_id|>\n\n");
        return sb.ToString();
    }

    private static void Turn(StringBuilder sb, string role, string content) =>
        sb.Append("<|start_header_id|>").Append(role).Append("<|end_header_id|>\n\n").Append(content).Append("<|eot_id|>");
}
