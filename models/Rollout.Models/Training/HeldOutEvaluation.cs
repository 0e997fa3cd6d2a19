using System.Text.Json;
using Rollout.Engine.Tokenization;
using Rollout.Models.Tasks;
using Rollout.Models.Tasks.Evaluation;
using Rollout.Models.Training.Decoder;
using Rollout.Models.Training.Ops;

namespace Rollout.Models.Training;

/// <summary>Scores the model being trained on held-out problems with <see cref="CachedDecoder"/>, one completion per problem.</summary>
public sealed class HeldOutEvaluation(IReadOnlyList<TaskProblem> problems, TextTokenizer tokenizer, int eosId, int maxNewTokens)
{
    public IReadOnlyList<TaskProblem> Problems => problems;

    /// <summary>
    /// Greedy when <paramref name="samplingSeed"/> is null, else sampled at temperature 1; the completions go
    /// to <paramref name="completionsPath"/> as JSONL when given.
    /// </summary>
    public EvaluationReport Run(DecoderParameters<float> parameters, int? samplingSeed, string? completionsPath = null)
    {
        var c = parameters.Config;
        var rope = new RotaryEmbedding<float>(c.HeadDim, c.MaxPositions, c.RopeTheta);
        var completions = new IReadOnlyList<Completion>[problems.Count];
        Parallel.For(0, problems.Count, i =>
        {
            var prompt = tokenizer.Encode(problems[i].Prompt, addSpecialTokens: true);
            var rng = samplingSeed is int s ? new Random(s * 7919 + i) : null;
            var ids = CachedDecoder.Generate(parameters, rope, prompt, maxNewTokens, eosId, rng);
            var decoded = tokenizer.DecodeWithOffsets(ids);
            completions[i] = [new Completion(decoded.Text, ids.Length, RedundantEpisodes.Tokens(decoded))];
        });
        if (completionsPath != null)
            File.WriteAllLines(completionsPath, problems.Select((p, i) =>
                JsonSerializer.Serialize(new { id = p.Id, answer = p.Answer, completion = completions[i][0].Text })));
        return TaskEvaluator.Evaluate(problems, completions);
    }
}
