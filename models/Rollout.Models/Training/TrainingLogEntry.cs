using System.Text.Json.Serialization;

namespace Rollout.Models.Training;

/// <summary>One line of train_log.jsonl: the loss averaged since the previous line, and held-out greedy accuracy when probed.</summary>
public sealed record TrainingLogEntry(
    [property: JsonPropertyName("step")] int Step,
    [property: JsonPropertyName("loss")] double Loss,
    [property: JsonPropertyName("lr")] double LearningRate,
    [property: JsonPropertyName("grad_norm")] double GradNorm,
    [property: JsonPropertyName("tokens")] long Tokens,
    [property: JsonPropertyName("seconds")] double Seconds,
    [property: JsonPropertyName("heldout_accuracy"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? HeldOutAccuracy = null);
