namespace Rollout.Models.Tasks.Arith;

/// <summary>Supervised fine-tuning examples for the arith task, drawn from the train side of the split.</summary>
public static class ArithSftData
{
    /// <param name="redundantShare">Share of examples that carry one re-check episode after a random step.</param>
    public static IReadOnlyList<SftExample> Create(int seed, int count, double redundantShare)
    {
        if (redundantShare is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(redundantShare));
        var problems = new ArithGenerator(seed).Generate(DataSplit.Train, count);
        // A separate stream so the problems do not depend on the redundant share.
        var rng = new Random(unchecked(seed * 31 + 7));
        return problems.Select(p =>
        {
            int[]? checks = rng.NextDouble() < redundantShare ? [rng.Next(p.Steps.Count)] : null;
            return new SftExample(p.ToTaskProblem(), ArithSolution.Write(p, checks));
        }).ToList();
    }
}
