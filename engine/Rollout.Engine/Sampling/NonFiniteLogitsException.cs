namespace Rollout.Engine.Sampling;

/// <summary>
/// A logits row holds NaN or +∞, or no finite value at all: the model or the head core is broken,
/// and no distribution can be formed. The engine catches it and reports the prompt and step.
/// </summary>
internal sealed class NonFiniteLogitsException(int tokenId, float value)
    : Exception(tokenId < 0
        ? "logits row has no finite value (all -inf)"
        : $"logits row has {value} at token {tokenId}")
{
    /// <summary>The first offending token, or -1 when every logit is -∞.</summary>
    public int TokenId { get; } = tokenId;
    public float Value { get; } = value;
}
