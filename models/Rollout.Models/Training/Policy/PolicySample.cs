namespace Rollout.Models.Training.Policy;

/// <summary>
/// One rollout for a policy update: the prompt as the engine fed it, the sampled completion and each completion
/// token's advantage A_t (<c>advantages</c> of <c>generate --l2t</c>).
/// </summary>
public sealed record PolicySample(int[] PromptTokenIds, int[] CompletionTokenIds, float[] Advantages);
