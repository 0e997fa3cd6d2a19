using Rollout.Engine.Prompts;

namespace Rollout.Engine.Generation;

/// <summary>A completion to score: its prompt (encoded) and its token ids. Completions of one prompt form one group.</summary>
public sealed record GivenCompletion(EncodedPrompt Prompt, int[] TokenIds);
