namespace Rollout.Models.Tasks.Evaluation;

/// <summary>Scores completions against the problems' reference answers (the <c>#### x</c> answer, compared numerically).</summary>
public static class TaskEvaluator
{
    /// <param name="completions">For each problem, in the same order, its completions (one for greedy decoding, n for sampling).</param>
    public static EvaluationReport Evaluate(IReadOnlyList<TaskProblem> problems, IReadOnlyList<IReadOnlyList<Completion>> completions)
    {
        if (problems.Count != completions.Count)
            throw new ArgumentException($"{problems.Count} problems but completions for {completions.Count}");
        var scored = problems.Select((p, i) => Score(p, completions[i])).ToList();
        var overall = Summarize(scored);
        return new EvaluationReport
        {
            Problems = overall.Problems, Completions = overall.Completions, Accuracy = overall.Accuracy,
            PassAt1 = overall.PassAt1, MajAtN = overall.MajAtN, MeanTokens = overall.MeanTokens,
            MeanEpisodes = overall.MeanEpisodes, RedundantShare = overall.RedundantShare,
            WithRedundantShare = overall.WithRedundantShare, RedundantTokenShare = overall.RedundantTokenShare,
            ByDifficulty = scored.GroupBy(s => s.Difficulty).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => Summarize(g.ToList())),
        };
    }

    private sealed record ScoredCompletion(bool Correct, decimal? Answer, int Tokens, int RedundantTokens, EpisodeCount Episodes);

    private sealed record ScoredProblem(int Difficulty, IReadOnlyList<ScoredCompletion> Completions, bool MajorityCorrect);

    private static ScoredProblem Score(TaskProblem problem, IReadOnlyList<Completion> completions)
    {
        if (completions.Count == 0) throw new ArgumentException($"problem '{problem.Id}' has no completions");
        var reference = FinalAnswer.Parse(problem.Answer)
            ?? throw new ArgumentException($"problem '{problem.Id}': answer '{problem.Answer}' is not a number");
        var scored = completions.Select(c =>
        {
            var answer = FinalAnswer.Extract(c.Text);
            return new ScoredCompletion(answer == reference, answer, c.Tokens, c.RedundantTokens, EpisodeCount.Of(c.Text));
        }).ToList();
        // Majority vote over the answers that were found; ties go to the answer seen first.
        var majority = scored.Where(s => s.Answer != null).GroupBy(s => s.Answer)
            .OrderByDescending(g => g.Count()).Select(g => g.Key).FirstOrDefault();
        return new ScoredProblem(problem.Difficulty, scored, majority == reference);
    }

    private static EvaluationSummary Summarize(IReadOnlyList<ScoredProblem> problems)
    {
        var all = problems.SelectMany(p => p.Completions).ToList();
        int episodes = all.Sum(c => c.Episodes.Episodes), redundant = all.Sum(c => c.Episodes.Redundant);
        long tokens = all.Sum(c => (long)c.Tokens), redundantTokens = all.Sum(c => (long)c.RedundantTokens);
        return new EvaluationSummary
        {
            Problems = problems.Count,
            Completions = all.Count,
            Accuracy = all.Count(c => c.Correct) / (double)all.Count,
            PassAt1 = problems.Average(p => p.Completions.Count(c => c.Correct) / (double)p.Completions.Count),
            MajAtN = problems.Count(p => p.MajorityCorrect) / (double)problems.Count,
            MeanTokens = all.Average(c => c.Tokens),
            MeanEpisodes = episodes / (double)all.Count,
            RedundantShare = episodes == 0 ? 0 : redundant / (double)episodes,
            WithRedundantShare = all.Count(c => c.Episodes.Redundant > 0) / (double)all.Count,
            RedundantTokenShare = tokens == 0 ? 0 : redundantTokens / (double)tokens,
        };
    }
}
