namespace Rollout.Models.Tasks.Arith;

/// <summary>
/// Seeded generator of arithmetic chains. Every running value stays in 0..99 so each step is a sum
/// or difference of numbers of at most two digits, which a model of a few million parameters can learn.
/// The train / test partition is a hash of the expression, so the two sides never share a problem
/// whatever the seeds of the sets drawn from them.
/// </summary>
public sealed class ArithGenerator(int seed)
{
    public const int MinOperations = 2;
    public const int MaxOperations = 6;
    public const int MaxValue = 99;
    /// <summary>Share of all problems that belong to the held-out side.</summary>
    public const double TestShare = 0.1;

    private readonly Random _rng = new(seed);

    public static DataSplit SplitOf(ArithProblem problem) =>
        problem.IdentityHash % 1000 < TestShare * 1000 ? DataSplit.Test : DataSplit.Train;

    /// <summary>A random chain of <paramref name="operations"/> steps, from either side of the split.</summary>
    public ArithProblem Next(int operations)
    {
        if (operations is < MinOperations or > MaxOperations)
            throw new ArgumentOutOfRangeException(nameof(operations), $"{MinOperations}..{MaxOperations}");
        int value = _rng.Next(1, MaxValue + 1);
        int start = value;
        var steps = new ArithStep[operations];
        for (int i = 0; i < operations; i++)
        {
            bool add = value == 0 || (value < MaxValue && _rng.Next(2) == 0);
            int operand = add ? _rng.Next(1, MaxValue - value + 1) : _rng.Next(1, value + 1);
            steps[i] = new ArithStep(add, operand);
            value = steps[i].Apply(value);
        }
        return new ArithProblem(start, steps);
    }

    /// <summary>
    /// <paramref name="count"/> problems of <paramref name="split"/>, difficulties cycling through 2..6 so
    /// every level is equally represented. The test side holds no duplicates; the train side may.
    /// </summary>
    public IReadOnlyList<ArithProblem> Generate(DataSplit split, int count)
    {
        var problems = new List<ArithProblem>(count);
        var seen = new HashSet<string>();
        while (problems.Count < count)
        {
            var p = Next(MinOperations + problems.Count % (MaxOperations - MinOperations + 1));
            if (SplitOf(p) != split) continue;
            if (split == DataSplit.Test && !seen.Add(p.Expression)) continue;
            problems.Add(p);
        }
        return problems;
    }
}
