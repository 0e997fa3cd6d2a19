using System.Runtime.InteropServices;

namespace Rollout.Kernels.Sampling;

/// <summary>
/// How <see cref="TokenSampling"/> chooses one token per row of logits: penalties (<see cref="TokenSampling.Penalize"/>,
/// before anything else, greedy included) → temperature → top-k → top-p → min-p → one draw (the engine's Sampler
/// semantics). The neutral values (repetition penalty 1, presence and frequency penalties 0, top-k 0, top-p 1, min-p 0)
/// switch a stage off; greedy takes the arg max of the penalised logits and ignores the rest. Blittable, so a kernel takes it by value: the flag is an int, not a bool,
/// whose layout in a kernel argument is not the same on every backend.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public readonly struct SamplingSettings
{
    private readonly int greedy;

    private SamplingSettings(bool greedy, double temperature, int topK, double topP, double minP,
        double repetitionPenalty = 1, double presencePenalty = 0, double frequencyPenalty = 0)
    {
        this.greedy = greedy ? 1 : 0;
        TopK = topK;
        Temperature = temperature;
        TopP = topP;
        MinP = minP;
        RepetitionPenalty = repetitionPenalty;
        PresencePenalty = presencePenalty;
        FrequencyPenalty = frequencyPenalty;
    }

    /// <summary>Arg max, the lowest id on ties: temperature and truncation are ignored.</summary>
    public static SamplingSettings GreedyDecoding { get; } = new(true, 1, 0, 1, 0);

    /// <summary>A draw from softmax(ℓ/τ) truncated by top-k (0 = off), top-p (1 = off) and min-p (0 = off).</summary>
    public static SamplingSettings Sample(double temperature = 1, int topK = 0, double topP = 1, double minP = 0) =>
        new(false, temperature, topK, topP, minP);

    /// <summary>These settings with vLLM's penalties, which <see cref="TokenSampling.Penalize"/> applies (see its properties here).</summary>
    public SamplingSettings WithPenalties(double repetition = 1, double presence = 0, double frequency = 0) =>
        new(Greedy, Temperature, TopK, TopP, MinP, repetition, presence, frequency);

    public bool Greedy => greedy != 0;

    /// <summary>Keep the k most probable tokens; 0 = off.</summary>
    public int TopK { get; }

    /// <summary>τ of softmax(ℓ/τ); unused when greedy.</summary>
    public double Temperature { get; }

    /// <summary>Keep the smallest set of most probable tokens whose probability reaches p; 1 = off.</summary>
    public double TopP { get; }

    /// <summary>Keep the tokens whose probability is at least min-p times the top one's; 0 = off.</summary>
    public double MinP { get; }

    /// <summary>A logit of a token in the prompt or the output so far is divided by it when positive, multiplied by it otherwise (HF/vLLM); 1 = off.</summary>
    public double RepetitionPenalty { get; }

    /// <summary>Subtracted from the logit of every token in the output so far (vLLM); 0 = off.</summary>
    public double PresencePenalty { get; }

    /// <summary>Subtracted, times the token's count in the output so far, from its logit (vLLM); 0 = off.</summary>
    public double FrequencyPenalty { get; }

    /// <summary>Checks the ranges the engine's SamplingParams checks.</summary>
    /// <exception cref="ArgumentException">τ not finite and positive (unless greedy), top-k negative, top-p outside (0, 1], min-p outside [0, 1],
    /// a repetition penalty not finite and positive, a presence or frequency penalty not finite.</exception>
    public void Validate()
    {
        if (!Greedy && !(Temperature > 0 && double.IsFinite(Temperature)))
            throw new ArgumentException($"Temperature must be positive and finite unless greedy (got {Temperature}).", "settings");
        if (TopK < 0) throw new ArgumentException($"Top-k must be 0 (off) or positive (got {TopK}).", "settings");
        if (!(TopP > 0 && TopP <= 1)) throw new ArgumentException($"Top-p must lie in (0, 1] (got {TopP}).", "settings");
        if (!(MinP >= 0 && MinP <= 1)) throw new ArgumentException($"Min-p must lie in [0, 1] (got {MinP}).", "settings");
        if (!(RepetitionPenalty > 0 && double.IsFinite(RepetitionPenalty)))
            throw new ArgumentException($"The repetition penalty must be positive and finite (got {RepetitionPenalty}).", "settings");
        if (!double.IsFinite(PresencePenalty)) throw new ArgumentException($"The presence penalty must be finite (got {PresencePenalty}).", "settings");
        if (!double.IsFinite(FrequencyPenalty)) throw new ArgumentException($"The frequency penalty must be finite (got {FrequencyPenalty}).", "settings");
    }

    public override string ToString() => (Greedy
        ? "greedy"
        : $"τ={Temperature}, top-k={TopK}, top-p={TopP}, min-p={MinP}")
        + (RepetitionPenalty != 1 || PresencePenalty != 0 || FrequencyPenalty != 0
            ? $", penalties: repetition={RepetitionPenalty}, presence={PresencePenalty}, frequency={FrequencyPenalty}"
            : "");
}
