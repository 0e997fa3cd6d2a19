namespace Rollout.Engine.Prompts;

/// <summary>
/// One prompt of a prompt file: either raw <see cref="Text"/> (fed to the model as is) or chat
/// <see cref="Messages"/> (rendered with the model's chat template), never both.
/// <see cref="Answer"/> is the reference answer y* (spec §1), when the data has one.
/// </summary>
public sealed record Prompt(string Id, string? Text, IReadOnlyList<ChatMessage>? Messages, string? Answer, string? DataSource);
