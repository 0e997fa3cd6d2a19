using System.Runtime.InteropServices;

namespace Rollout.Kernels.Step;

/// <summary>Per sampled row: softmax statistics of ℓ/τ and the sampled token's scores.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct StepStatistics
{
    /// <summary>max_i ℓ_i / τ.</summary>
    public float Max;

    /// <summary>log Σ_i exp(ℓ_i / τ).</summary>
    public float LogSumExp;

    /// <summary>log p_t(z_t) with p_t = softmax(ℓ/τ): the policy log-probability (NaN for a token id outside the vocabulary).</summary>
    public float LogProb;

    /// <summary>log softmax(ℓ)(z_t): the temperature-1 log-probability.</summary>
    public float RawLogProb;

    /// <summary>Entropy of p_t in nats.</summary>
    public float Entropy;
}
