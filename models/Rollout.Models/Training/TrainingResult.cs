using Rollout.Models.Tasks.Evaluation;
using Rollout.Models.Weights;

namespace Rollout.Models.Training;

/// <summary>What a training run produced: the trained weights, the loss curve and, when asked, held-out scores.</summary>
public sealed record TrainingResult(
    ModelWeights Weights,
    long ParameterCount,
    IReadOnlyList<TrainingLogEntry> Log,
    EvaluationReport? Greedy,
    EvaluationReport? Sampled);
