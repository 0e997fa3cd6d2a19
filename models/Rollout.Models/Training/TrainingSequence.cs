namespace Rollout.Models.Training;

/// <summary>Prompt and completion tokens of one example; the loss covers the tokens from <see cref="PromptLength"/> on.</summary>
/// <param name="CompletionWeights">Each completion token's weight in the loss (a policy update's advantages); null weighs every token 1.</param>
public sealed record TrainingSequence(int[] Tokens, int PromptLength, float[]? CompletionWeights = null);
