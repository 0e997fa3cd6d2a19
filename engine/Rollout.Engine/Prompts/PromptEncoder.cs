using Rollout.Engine.Tokenization;

namespace Rollout.Engine.Prompts;

/// <summary>A prompt as the model sees it: token ids, special tokens included.</summary>
public sealed record EncodedPrompt(string Id, int[] TokenIds, string? Answer);

internal static class PromptEncoder
{
    /// <summary>
    /// Raw text is encoded with the tokenizer's own special tokens (BOS where HF adds one); chat
    /// messages go through the model's chat template, which writes its special tokens itself, so
    /// none are added again (HF's apply_chat_template does the same).
    /// </summary>
    public static EncodedPrompt Encode(Prompt prompt, TextTokenizer tokenizer, int contextWindow)
    {
        int[] ids = prompt.Messages is { } messages
            ? tokenizer.Encode(ChatTemplate.Render(tokenizer.ChatTemplate, messages, tokenizer.BosToken, addGenerationPrompt: true), addSpecialTokens: false).ToArray()
            : tokenizer.Encode(prompt.Text ?? "", addSpecialTokens: true).ToArray();
        if (ids.Length == 0)
            throw new InputException($"prompt '{prompt.Id}' is empty after tokenization (this tokenizer adds no BOS token)");
        if (ids.Length >= contextWindow)
            throw new InputException($"prompt '{prompt.Id}' has {ids.Length} tokens; the model's context window is {contextWindow}, leaving no room to generate");
        return new EncodedPrompt(prompt.Id, ids, prompt.Answer);
    }
}
