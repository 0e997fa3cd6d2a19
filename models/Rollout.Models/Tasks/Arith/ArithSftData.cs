namespace Rollout.Models.Tasks.Arith;

/// <summary>Supervised fine-tuning examples for the arith task, drawn from the train side of the split.</summary>
public static class ArithSftData
{
    /// <summary>Most restatement episodes a <see cref="SolutionStyle.Verbose"/> solution carries.</summary>
    public const int MaxVerboseRestatements = 3;

    /// <param name="redundantShare">Share of examples that carry redundant episodes: as many and as worded as <paramref name="style"/> says.</param>
    public static IReadOnlyList<SftExample> Create(int seed, int count, double redundantShare, SolutionStyle style = SolutionStyle.Plain)
    {
        if (redundantShare is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(redundantShare));
        var problems = new ArithGenerator(seed).Generate(DataSplit.Train, count);
        // A separate stream so the problems do not depend on the redundant share.
        var rng = new Random(unchecked(seed * 31 + 7));
        return problems.Select(p =>
        {
            var restatements = rng.NextDouble() < redundantShare ? Restatements(p, style, rng) : null;
            return new SftExample(p.ToTaskProblem(), ArithSolution.Write(p, restatements));
        }).ToList();
    }

    private static ArithRestatement[] Restatements(ArithProblem problem, SolutionStyle style, Random rng) => style switch
    {
        // Exactly the draws the plain data has always made, so the same seed gives the same data.
        SolutionStyle.Plain => [new(rng.Next(problem.Steps.Count), ArithSolution.CheckPrefix)],
        // Positions drawn independently (repeats allowed) from before the first step to after the last.
        SolutionStyle.Verbose => [.. Enumerable.Range(0, rng.Next(1, MaxVerboseRestatements + 1)).Select(_ =>
            new ArithRestatement(rng.Next(-1, problem.Steps.Count), ArithSolution.RestatementPrefixes[rng.Next(ArithSolution.RestatementPrefixes.Count)]))],
        _ => throw new ArgumentOutOfRangeException(nameof(style)),
    };
}
