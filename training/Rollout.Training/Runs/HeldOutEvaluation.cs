using Rollout.Engine;
using Rollout.Engine.Generation;
using Rollout.Engine.Prompts;
using Rollout.Models.Tasks;
using Rollout.Models.Tasks.Evaluation;

namespace Rollout.Training.Runs;

/// <summary>A policy's completions of held-out problems, scored: the share that are right, their length and redundancy, by difficulty.</summary>
public static class HeldOutEvaluation
{
    /// <param name="accuracy">Correct completions over all completions (greedy accuracy with one sample, pass@1 with several).</param>
    public sealed record Result(double Accuracy, double MeanTokens, double RedundantShare, IReadOnlyDictionary<int, DifficultyMetrics> ByDifficulty);

    public static Result Run(RolloutEngine engine, IReadOnlyList<TaskProblem> problems, GenerationOptions options)
    {
        // No answers: a policy's core still applies, and nothing is probed.
        var prompts = engine.Encode(problems.Select(p => new Prompt(p.Id, p.Prompt, null, null, null)));
        var rollouts = engine.Generate(prompts, options).ToList();
        if (rollouts.Count != problems.Count * options.SamplesPerPrompt)
            throw new InvalidOperationException($"{rollouts.Count} rollouts for {problems.Count} problems × {options.SamplesPerPrompt}");
        var scored = rollouts.Select((r, i) =>
        {
            var problem = problems[i / options.SamplesPerPrompt];
            return (problem.Difficulty, Correct: FinalAnswer.Extract(r.Text) == FinalAnswer.Parse(problem.Answer), Tokens: r.TokenIds.Length,
                Redundant: RedundantTokens.Count(r, engine.Model.Tokenizer));
        }).ToList();
        int tokens = scored.Sum(s => s.Tokens);
        return new Result(
            scored.Average(s => s.Correct ? 1.0 : 0.0),
            scored.Average(s => (double)s.Tokens),
            tokens == 0 ? 0 : scored.Sum(s => s.Redundant) / (double)tokens,
            scored.GroupBy(s => s.Difficulty).OrderBy(g => g.Key)
                .ToDictionary(g => g.Key, g => new DifficultyMetrics(g.Average(s => s.Correct ? 1.0 : 0.0), g.Average(s => (double)s.Tokens))));
    }
}
