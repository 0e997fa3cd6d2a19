using Rollout.Engine.Generation;
using Rollout.Engine.Prompts;

namespace Rollout.Cluster.Contracts;

/// <summary>
/// One prompt group of a run, as a worker needs it: the encoded prompt and its settings. <see cref="Group"/> is the
/// request's index in the client's call, which orders the results.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record GroupWork(
    [property: Id(0)] Guid Run,
    [property: Id(1)] int Group,
    [property: Id(2)] string PromptId,
    [property: Id(3)] int[] PromptTokenIds,
    [property: Id(4)] string? Answer,
    [property: Id(5)] OptionsMessage Options)
{
    public static GroupWork From(Guid run, int group, GenerationRequest request) =>
        new(run, group, request.Prompt.Id, request.Prompt.TokenIds, request.Prompt.Answer, OptionsMessage.From(request.Options));

    /// <summary>The request as the worker's engine runs it: in batches of the worker's size, which changes no rollout.</summary>
    public GenerationRequest ToRequest(int batchSize, CancellationToken cancel) =>
        new(new EncodedPrompt(PromptId, PromptTokenIds, Answer), Options.ToOptions() with { BatchSize = batchSize }) { Cancellation = cancel };
}
