namespace Rollout.Models.Training;

/// <summary>Prompt and completion tokens of one example; the loss covers the tokens from <see cref="PromptLength"/> on.</summary>
public sealed record TrainingSequence(int[] Tokens, int PromptLength);
