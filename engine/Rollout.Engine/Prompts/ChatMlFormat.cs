using System.Text;
using System.Text.RegularExpressions;

namespace Rollout.Engine.Prompts;

/// <summary>
/// ChatML: <c>&lt;|im_start|&gt;{role}\n{content}&lt;|im_end|&gt;\n</c> per message, contents untrimmed,
/// generation prompt <c>&lt;|im_start|&gt;assistant\n</c>. Some templates (Qwen2, Qwen2.5, Qwen2.5-Math)
/// hard-code a default system message that they insert when the first message is not a system one; it is
/// recognised as a constant system turn in the template source (a quoted
/// <c>&lt;|im_start|&gt;system\n…&lt;|im_end|&gt;</c> with no expression inside), and none is used otherwise (Qwen3).
/// </summary>
internal sealed partial record ChatMlFormat(string? DefaultSystem)
{
    public const string Marker = "<|im_start|>";

    // The newline is "\n" inside a Jinja string literal, or a real newline in template text.
    [GeneratedRegex(@"<\|im_start\|>system(?:\\n|\n)((?:[^'""\\]|\\.)*?)<\|im_end\|>", RegexOptions.CultureInvariant)]
    private static partial Regex ConstantSystemTurn();

    public static ChatMlFormat FromTemplate(string template)
    {
        var m = ConstantSystemTurn().Match(template);
        return new ChatMlFormat(m.Success ? JinjaLiteral.Unescape(m.Groups[1].Value) : null);
    }

    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        var sb = new StringBuilder();
        if (DefaultSystem != null && messages.Count > 0 && messages[0].Role != "system")
            Turn(sb, "system", DefaultSystem);
        foreach (var m in messages) Turn(sb, m.Role, m.Content);
        if (addGenerationPrompt) sb.Append("<|im_start|>assistant\n");
        return sb.ToString();
    }

    private static void Turn(StringBuilder sb, string role, string content) =>
        sb.Append("<|im_start|>").Append(role).Append('\n').Append(content).Append("<|im_end|>\n");
}
