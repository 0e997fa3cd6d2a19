namespace Rollout.Models.Tasks.Arith;

/// <summary>
/// A redundant episode of a reference solution: <see cref="Prefix"/> followed by the running value after step
/// <see cref="AfterStep"/> (0-based; −1 restates the start value before the first step).
/// </summary>
public readonly record struct ArithRestatement(int AfterStep, string Prefix);
