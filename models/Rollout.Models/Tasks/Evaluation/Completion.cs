namespace Rollout.Models.Tasks.Evaluation;

/// <summary>One sampled completion: its text and how many tokens the model generated for it.</summary>
public sealed record Completion(string Text, int Tokens);
