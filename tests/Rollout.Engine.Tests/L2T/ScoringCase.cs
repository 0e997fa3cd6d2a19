using Rollout.Engine.Episodes;
using Rollout.Engine.Generation;
using Rollout.Engine.L2T;

namespace Rollout.Engine.Tests.L2T;

/// <summary>
/// A seeded random batch, built twice: as the scorer's <see cref="ScoringInput"/>s and as the recomputation's plain
/// arrays. r_out is known from how each completion was written (right or wrong answer, format ok or not), not extracted.
/// </summary>
internal sealed class ScoringCase
{
    public const string Answer = "17";

    public List<List<ScoringInput>> Inputs { get; } = [];
    public List<List<L2TRecomputation.Rollout>> Reference { get; } = [];

    /// <param name="groupSizes">Rollouts per prompt; every third prompt has no reference answer.</param>
    /// <param name="emptyRollouts">(group, sample) pairs that get no tokens.</param>
    public static ScoringCase Random(int seed, int rank, int[] groupSizes, params (int Group, int Sample)[] emptyRollouts)
    {
        var random = new Random(seed);
        var built = new ScoringCase();
        for (int g = 0; g < groupSizes.Length; g++)
        {
            bool hasAnswer = g % 3 != 2;
            var inputs = new List<ScoringInput>();
            var reference = new List<L2TRecomputation.Rollout>();
            for (int s = 0; s < groupSizes[g]; s++)
            {
                int tokens = emptyRollouts.Contains((g, s)) ? 0 : random.Next(1, 60);
                bool formatOk = tokens > 0 && random.NextDouble() < 0.8;
                var episodes = formatOk ? TagSpans(random, tokens) : [new EpisodeSpan(0, 0, tokens)];
                bool correct = random.NextDouble() < 0.5;
                var u = Normal(random, tokens * rank);
                var v = Normal(random, tokens * rank);
                // Log-probabilities ≤ 0, a tenth of them exactly 0 (tokens the policy was sure of).
                var logprobs = Enumerable.Range(0, tokens).Select(_ => random.NextDouble() < 0.1 ? 0f : (float)(-5 * random.NextDouble())).ToArray();
                var probes = hasAnswer ? Enumerable.Range(0, episodes.Length + 1).Select(_ => random.NextDouble()).ToArray() : null;
                var text = $"<think>step</think> #### {(correct ? Answer : "18")}";
                var rollout = new RolloutResult($"p{g}", s, [], new int[tokens], text, FinishReason.Eos, logprobs, logprobs,
                    new float[tokens], episodes, formatOk, new StepFeatures(rank, u, v));
                inputs.Add(new ScoringInput(rollout, probes, hasAnswer ? Answer : null));
                var outcome = (hasAnswer && correct ? 1 : 0) + (formatOk ? 0 : -0.01);
                var credit = L2TRecomputation.CreditSpans([.. episodes.Select(e => (e.Start, e.End))], tokens);
                reference.Add(new L2TRecomputation.Rollout(u, v, logprobs, credit, probes, outcome));
            }
            built.Inputs.Add(inputs);
            built.Reference.Add(reference);
        }
        return built;
    }

    /// <summary>1–4 disjoint tag spans in order, with gaps before, between and after them.</summary>
    private static EpisodeSpan[] TagSpans(Random random, int tokens)
    {
        var starts = Enumerable.Range(0, tokens).OrderBy(_ => random.Next()).Take(random.Next(1, 5)).Order().ToArray();
        return [.. starts.Select((start, k) =>
            new EpisodeSpan(k, start, random.Next(start + 1, (k + 1 < starts.Length ? starts[k + 1] : tokens) + 1)))];
    }

    private static float[] Normal(Random random, int count) =>
        [.. Enumerable.Range(0, count).Select(_ => (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble())))];
}
