using Rollout.Engine;
using Rollout.Engine.Generation;
using Rollout.Engine.Prompts;
using Rollout.Models.Tasks;
using Rollout.Models.Tasks.Evaluation;

namespace Rollout.Training.Runs;

/// <summary>A policy's completions of held-out problems, scored by the task's evaluator.</summary>
public static class HeldOutEvaluation
{
    public static EvaluationReport Run(RolloutEngine engine, IReadOnlyList<TaskProblem> problems, GenerationOptions options)
    {
        // No answers: a policy's core still applies, and nothing is probed.
        var prompts = engine.Encode(problems.Select(p => new Prompt(p.Id, p.Prompt, null, null, null)));
        var completions = engine.Generate(prompts, options).Select(r => Completion.Of(r, engine.Model.Tokenizer))
            .Chunk(options.SamplesPerPrompt).Select(c => (IReadOnlyList<Completion>)c).ToList();
        return TaskEvaluator.Evaluate(problems, completions);
    }
}
