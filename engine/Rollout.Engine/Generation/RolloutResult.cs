using Rollout.Engine.Episodes;
using Rollout.Engine.L2T;
using Rollout.Engine.Sampling;

namespace Rollout.Engine.Generation;

public enum FinishReason { Eos, Stop, Length }

/// <summary>
/// One sampled completion. Token ids and the per-token arrays cover completion tokens only
/// (an ending EOS included); <see cref="Text"/> leaves out the EOS and anything from a stop string on.
/// Episode spans index into <see cref="TokenIds"/>, end exclusive. With L2T on, <see cref="Features"/>
/// holds u_t, v_t per token and <see cref="Score"/> the probes, rewards and advantages. <see cref="Answer"/> is the
/// prompt's reference answer, when it has one. With <see cref="GenerationOptions.TopLogprobs"/> on,
/// <see cref="TopLogprobs"/> holds each token's most likely alternatives.
/// </summary>
public sealed record RolloutResult(
    string PromptId,
    int Sample,
    int[] PromptTokenIds,
    int[] TokenIds,
    string Text,
    FinishReason FinishReason,
    float[] Logprobs,
    float[] RawLogprobs,
    float[] Entropies,
    IReadOnlyList<EpisodeSpan> Episodes,
    bool FormatOk,
    StepFeatures? Features = null,
    RolloutScore? Score = null,
    string? Answer = null)
{
    /// <summary>Per token, its step's most likely tokens, most likely first, with log-probabilities under the same policy as <see cref="Logprobs"/>; null when not asked for.</summary>
    public IReadOnlyList<TokenAlternative[]>? TopLogprobs { get; init; }
}
