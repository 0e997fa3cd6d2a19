namespace Rollout.Models.Tasks;

/// <summary>
/// One prompt of a task as the engine reads it: the raw prompt text, the reference answer and a
/// difficulty level used to break evaluation results down.
/// </summary>
public sealed record TaskProblem(string Id, string Prompt, string Answer, int Difficulty);
