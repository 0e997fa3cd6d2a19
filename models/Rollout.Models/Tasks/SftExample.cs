namespace Rollout.Models.Tasks;

/// <summary>A supervised example: the prompt the engine will feed and the completion the model should learn to write.</summary>
public sealed record SftExample(TaskProblem Problem, string Completion);
