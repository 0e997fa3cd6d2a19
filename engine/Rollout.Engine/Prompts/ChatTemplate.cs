namespace Rollout.Engine.Prompts;

/// <summary>
/// Renders chat messages into prompt text the way HF's apply_chat_template renders the model's Jinja
/// template, for the template families this engine knows (no Jinja interpreter): ChatML
/// (<c>&lt;|im_start|&gt;</c>: Qwen2/2.5/3, …, see <see cref="ChatMlFormat"/>) and Llama 3
/// (<c>&lt;|start_header_id|&gt;</c>: Llama 3, 3.1–3.3, see <see cref="Llama3Format"/>).
/// Messages are rendered as plain turns: templates' tool-calling branches and rewrites of earlier
/// assistant turns (Qwen3 dropping their &lt;think&gt; part) are not reproduced.
/// </summary>
public static class ChatTemplate
{
    public const string Supported = "ChatML (<|im_start|>, e.g. Qwen) and Llama 3 (<|start_header_id|>)";

    /// <param name="template">The tokenizer's chat_template.</param>
    /// <param name="bosToken">The tokenizer's bos_token text (Llama 3 templates start with it); null renders as "", as Jinja does.</param>
    /// <param name="addGenerationPrompt">Append the assistant turn's header, so the model answers next.</param>
    public static string Render(string? template, IReadOnlyList<ChatMessage> messages, string? bosToken, bool addGenerationPrompt)
    {
        if (template == null)
            throw new InputException($"the tokenizer has no chat template; chat prompts need one of: {Supported} (or give raw \"prompt\" text)");
        if (template.Contains(ChatMlFormat.Marker, StringComparison.Ordinal))
            return ChatMlFormat.FromTemplate(template).Render(messages, addGenerationPrompt);
        if (template.Contains(Llama3Format.Marker, StringComparison.Ordinal))
            return Llama3Format.FromTemplate(template).Render(messages, bosToken ?? "", addGenerationPrompt);
        throw new InputException($"the tokenizer's chat template is not supported; supported: {Supported} (or give raw \"prompt\" text)");
    }
}
