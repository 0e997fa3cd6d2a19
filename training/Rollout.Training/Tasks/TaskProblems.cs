using Rollout.Models.Tasks;
using Rollout.Models.Tasks.Arith;

namespace Rollout.Training.Tasks;

/// <summary>
/// The problems a run trains and evaluates on. An iteration's prompts come from a generator seeded by (run seed,
/// iteration) alone, so a resumed run draws exactly what an uninterrupted one would, with no stream position to keep.
/// </summary>
public static class TaskProblems
{
    /// <summary>The held-out problems of `rollout eval`'s default set and the shipped model's README (problem seed 1000004).</summary>
    public const int HeldOutSeed = 1_000_004;

    public static IReadOnlyList<TaskProblem> Train(int seed, int iteration, int count) =>
        [.. new ArithGenerator(IterationSeed(seed, iteration)).Generate(DataSplit.Train, count).Select(p => p.ToTaskProblem())];

    /// <summary>A fixed mix (not <see cref="HashCode"/>, which differs from process to process).</summary>
    public static int IterationSeed(int seed, int iteration) => unchecked(seed * 1_000_003 + iteration * 7_919 + 17);

    public static IReadOnlyList<TaskProblem> HeldOut(int count) =>
        [.. new ArithGenerator(HeldOutSeed).Generate(DataSplit.Test, count).Select(p => p.ToTaskProblem())];
}
