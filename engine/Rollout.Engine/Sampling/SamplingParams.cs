using Rollout.Kernels.Sampling;

namespace Rollout.Engine.Sampling;

/// <summary>
/// How one token is chosen from a row of logits. The pipeline (see <see cref="Sampler"/>) is
/// penalties → temperature → top-k → top-p → min-p → one draw, with HF/vLLM semantics. The neutral values
/// (repetition penalty 1, presence and frequency penalties 0, top-k 0, top-p 1, min-p 0) switch a stage off.
/// Penalties change the policy: the log-probabilities reported are those of the penalised distribution (vLLM's
/// processed logprobs).
/// </summary>
public sealed record SamplingParams
{
    /// <summary>Argmax (ties → lowest id, like torch.argmax) of the penalised logits; temperature and truncation are ignored.</summary>
    public bool Greedy { get; init; }
    public double Temperature { get; init; } = 1.0;
    /// <summary>Keep the k most probable tokens; 0 = off.</summary>
    public int TopK { get; init; }
    /// <summary>Keep the smallest set of most probable tokens whose probability reaches p; 1 = off.</summary>
    public double TopP { get; init; } = 1.0;
    /// <summary>Keep tokens whose probability is at least min_p times the top one's; 0 = off.</summary>
    public double MinP { get; init; }
    /// <summary>HF/vLLM's repetition penalty: the logit of every token in the prompt or the output so far is divided by it when positive, multiplied by it otherwise; 1 = off.</summary>
    public double RepetitionPenalty { get; init; } = 1.0;
    /// <summary>vLLM's presence penalty: subtracted from the logit of every token in the output so far (vLLM allows [−2, 2]); 0 = off.</summary>
    public double PresencePenalty { get; init; }
    /// <summary>vLLM's frequency penalty: subtracted, times the token's count in the output so far, from its logit (vLLM allows [−2, 2]); 0 = off.</summary>
    public double FrequencyPenalty { get; init; }

    /// <summary>τ of the policy softmax(ℓ/τ) that log-probabilities refer to (L2T-SPEC §1); greedy reports τ = 1.</summary>
    public double PolicyTemperature => Greedy ? 1.0 : Temperature;

    /// <summary>Whether any penalty is on, so that each row's history has to be kept and applied.</summary>
    public bool HasPenalties => RepetitionPenalty != 1 || PresencePenalty != 0 || FrequencyPenalty != 0;

    public void Validate()
    {
        if (!Greedy && !(Temperature > 0 && double.IsFinite(Temperature)))
            throw InputException.ForSetting(nameof(Temperature), $"must be a finite number > 0 (got {Temperature}); use greedy decoding for argmax");
        if (TopK < 0) throw InputException.ForSetting(nameof(TopK), $"must be 0 (off) or positive (got {TopK})");
        if (!(TopP > 0 && TopP <= 1)) throw InputException.ForSetting(nameof(TopP), $"must be in (0, 1] (got {TopP})");
        if (!(MinP >= 0 && MinP <= 1)) throw InputException.ForSetting(nameof(MinP), $"must be in [0, 1] (got {MinP})");
        if (!(RepetitionPenalty > 0 && double.IsFinite(RepetitionPenalty)))
            throw InputException.ForSetting(nameof(RepetitionPenalty), $"must be a finite number > 0 (got {RepetitionPenalty}; 1 = off)");
        if (!double.IsFinite(PresencePenalty)) throw InputException.ForSetting(nameof(PresencePenalty), $"must be a finite number (got {PresencePenalty}; 0 = off)");
        if (!double.IsFinite(FrequencyPenalty)) throw InputException.ForSetting(nameof(FrequencyPenalty), $"must be a finite number (got {FrequencyPenalty}; 0 = off)");
    }

    /// <summary>The same choice for the sampling kernels (<see cref="TokenSampling"/>).</summary>
    internal SamplingSettings ToSettings() =>
        (Greedy ? SamplingSettings.GreedyDecoding : SamplingSettings.Sample(Temperature, TopK, TopP, MinP))
        .WithPenalties(RepetitionPenalty, PresencePenalty, FrequencyPenalty);
}
