using Rollout.Engine.Generation;
using Rollout.Engine.Tokenization;
using Rollout.Models.Tasks.Evaluation;

namespace Rollout.Training.Runs;

/// <summary>
/// How many of a rollout's completion tokens lie in redundant episodes: episodes (the engine's token spans) whose
/// text holds no operation, the task evaluator's definition (<see cref="EpisodeCount"/>).
/// </summary>
public static class RedundantTokens
{
    public static int Count(RolloutResult rollout, TextTokenizer tokenizer) =>
        rollout.FormatOk
            ? rollout.Episodes.Where(e => EpisodeCount.Of(tokenizer.Decode(rollout.TokenIds[e.Start..e.End])).Redundant > 0).Sum(e => e.End - e.Start)
            : 0;
}
