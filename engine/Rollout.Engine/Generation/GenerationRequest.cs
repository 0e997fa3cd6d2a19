using Rollout.Engine.Prompts;
using Rollout.Engine.Sampling;

namespace Rollout.Engine.Generation;

/// <summary>
/// One prompt with its own settings (samples, seed, token budget, stops, sampling): requests with different settings
/// are decoded in the same batches. What a batch shares (batch size, episodes, L2T; with L2T also the sampling and the
/// token budget, which the probes and the length baseline read) must agree across the requests of one call.
/// </summary>
public sealed record GenerationRequest(EncodedPrompt Prompt, GenerationOptions Options)
{
    /// <summary>Cancelled: the request's rows leave the batch at the next step and it yields no more rollouts (a client that went away).</summary>
    public CancellationToken Cancellation { get; init; }
}

/// <summary>
/// A token just sampled, for streaming: sample <paramref name="Sample"/> of request <paramref name="Request"/> (its index in the call),
/// with its step's most likely tokens when the request asks for them (<see cref="GenerationOptions.TopLogprobs"/>; else null),
/// the same alternatives as the finished rollout's <see cref="RolloutResult.TopLogprobs"/> entry for this token.
/// </summary>
public readonly record struct SampledToken(int Request, int Sample, int TokenId, float Logprob, TokenAlternative[]? TopLogprobs = null);
