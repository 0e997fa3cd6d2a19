namespace Rollout.Engine.Prompts;

/// <summary>One chat turn: role ("system", "user", "assistant") and its text.</summary>
public sealed record ChatMessage(string Role, string Content);
