using System.Runtime.InteropServices;

namespace Rollout.Kernels.Sampling;

/// <summary>
/// What a row's history does to one token's logit before it is sampled (<see cref="TokenSampling.Penalize"/>): how
/// often the token occurs in the output so far and whether it occurs in the prompt (vLLM's penalties), or that it is
/// suppressed (−∞: HF's min-new-tokens keeps EOS and the stop ids out). A row lists each token at most once, so the
/// kernel rewrites every listed logit from one thread; a token not listed keeps its logit. Blittable: the flags are
/// ints, like <see cref="SamplingSettings"/>'s.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public readonly struct TokenPenalty
{
    private readonly int inPrompt;
    private readonly int suppressed;

    public TokenPenalty(int tokenId, int outputCount, bool inPrompt, bool suppressed = false)
    {
        TokenId = tokenId;
        OutputCount = outputCount;
        this.inPrompt = inPrompt ? 1 : 0;
        this.suppressed = suppressed ? 1 : 0;
    }

    public int TokenId { get; }

    /// <summary>How many times the token occurs in the output so far (the frequency penalty's count).</summary>
    public int OutputCount { get; }

    /// <summary>Whether the token occurs in the prompt (the repetition penalty applies to it even when the output has none).</summary>
    public bool InPrompt => inPrompt != 0;

    /// <summary>Whether the token's logit is −∞ whatever the penalties.</summary>
    public bool Suppressed => suppressed != 0;

    public override string ToString() => $"{TokenId}: {OutputCount}×{(InPrompt ? ", in prompt" : "")}{(Suppressed ? ", suppressed" : "")}";
}
