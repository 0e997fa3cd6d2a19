using Rollout.Engine.Prompts;

namespace Rollout.Engine.Generation;

/// <summary>A prefill's inputs, [prompts, width]: token ids, attention mask and positions, each prompt padded to the longest.</summary>
internal sealed record PromptInputs(long[] Ids, long[] Mask, long[] Positions, int Width)
{
    /// <param name="left">Padding before each prompt (Optimum-layout graphs, whose rows all end at the last position), else after
    /// it (fused graphs, where a row's length is its mask's ones).</param>
    public static PromptInputs Pad(IReadOnlyList<EncodedPrompt> prompts, long padTokenId, bool left)
    {
        int width = prompts.Max(p => p.TokenIds.Length);
        var ids = new long[prompts.Count * width];
        var mask = new long[prompts.Count * width];
        var positions = new long[prompts.Count * width];
        for (int p = 0; p < prompts.Count; p++)
        {
            var tokens = prompts[p].TokenIds;
            int start = left ? width - tokens.Length : 0;
            for (int j = 0; j < width; j++)
            {
                int at = p * width + j, token = j - start;
                bool real = token >= 0 && token < tokens.Length;
                ids[at] = real ? tokens[token] : padTokenId;
                mask[at] = real ? 1 : 0;
                // HF fills masked positions with 1 in a left-padded batch; right padding sits past every real position.
                positions[at] = real ? token : left ? 1 : 0;
            }
        }
        return new PromptInputs(ids, mask, positions, width);
    }
}
