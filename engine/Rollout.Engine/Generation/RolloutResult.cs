using Rollout.Engine.Episodes;

namespace Rollout.Engine.Generation;

public enum FinishReason { Eos, Stop, Length }

/// <summary>
/// One sampled completion. Token ids and the per-token arrays cover completion tokens only
/// (an ending EOS included); <see cref="Text"/> leaves out the EOS and anything from a stop string on.
/// Episode spans index into <see cref="TokenIds"/>, end exclusive.
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
    bool FormatOk);
