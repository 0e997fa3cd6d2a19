namespace Rollout.Engine.Sampling;

/// <summary>
/// How one token is chosen from a row of logits. The pipeline (see <see cref="Sampler"/>) is
/// temperature → top-k → top-p → min-p → one draw, with HF/vLLM semantics. The neutral values
/// (top-k 0, top-p 1, min-p 0) switch a stage off.
/// </summary>
public sealed record SamplingParams
{
    /// <summary>Argmax (ties → lowest id, like torch.argmax); temperature and truncation are ignored.</summary>
    public bool Greedy { get; init; }
    public double Temperature { get; init; } = 1.0;
    /// <summary>Keep the k most probable tokens; 0 = off.</summary>
    public int TopK { get; init; }
    /// <summary>Keep the smallest set of most probable tokens whose probability reaches p; 1 = off.</summary>
    public double TopP { get; init; } = 1.0;
    /// <summary>Keep tokens whose probability is at least min_p times the top one's; 0 = off.</summary>
    public double MinP { get; init; }

    /// <summary>τ of the policy softmax(ℓ/τ) that log-probabilities refer to (L2T-SPEC §1); greedy reports τ = 1.</summary>
    public double PolicyTemperature => Greedy ? 1.0 : Temperature;

    public void Validate()
    {
        if (!Greedy && !(Temperature > 0 && double.IsFinite(Temperature)))
            throw InputException.ForSetting(nameof(Temperature), $"must be a finite number > 0 (got {Temperature}); use greedy decoding for argmax");
        if (TopK < 0) throw InputException.ForSetting(nameof(TopK), $"must be 0 (off) or positive (got {TopK})");
        if (!(TopP > 0 && TopP <= 1)) throw InputException.ForSetting(nameof(TopP), $"must be in (0, 1] (got {TopP})");
        if (!(MinP >= 0 && MinP <= 1)) throw InputException.ForSetting(nameof(MinP), $"must be in [0, 1] (got {MinP})");
    }
}
