using System.Runtime.InteropServices;

namespace Rollout.Kernels.Sampling;

/// <summary>
/// How <see cref="TokenSampling"/> chooses one token per row of logits: temperature → top-k → top-p → min-p → one
/// draw (the engine's Sampler semantics). The neutral values (top-k 0, top-p 1, min-p 0) switch a stage off; greedy
/// takes the arg max and ignores the rest. Blittable, so a kernel takes it by value: the flag is an int, not a bool,
/// whose layout in a kernel argument is not the same on every backend.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public readonly struct SamplingSettings
{
    private readonly int greedy;

    private SamplingSettings(bool greedy, double temperature, int topK, double topP, double minP)
    {
        this.greedy = greedy ? 1 : 0;
        TopK = topK;
        Temperature = temperature;
        TopP = topP;
        MinP = minP;
    }

    /// <summary>Arg max, the lowest id on ties: temperature and truncation are ignored.</summary>
    public static SamplingSettings GreedyDecoding { get; } = new(true, 1, 0, 1, 0);

    /// <summary>A draw from softmax(ℓ/τ) truncated by top-k (0 = off), top-p (1 = off) and min-p (0 = off).</summary>
    public static SamplingSettings Sample(double temperature = 1, int topK = 0, double topP = 1, double minP = 0) =>
        new(false, temperature, topK, topP, minP);

    public bool Greedy => greedy != 0;

    /// <summary>Keep the k most probable tokens; 0 = off.</summary>
    public int TopK { get; }

    /// <summary>τ of softmax(ℓ/τ); unused when greedy.</summary>
    public double Temperature { get; }

    /// <summary>Keep the smallest set of most probable tokens whose probability reaches p; 1 = off.</summary>
    public double TopP { get; }

    /// <summary>Keep the tokens whose probability is at least min-p times the top one's; 0 = off.</summary>
    public double MinP { get; }

    /// <summary>Checks the ranges the engine's SamplingParams checks.</summary>
    /// <exception cref="ArgumentException">τ not finite and positive (unless greedy), top-k negative, top-p outside (0, 1], min-p outside [0, 1].</exception>
    public void Validate()
    {
        if (!Greedy && !(Temperature > 0 && double.IsFinite(Temperature)))
            throw new ArgumentException($"Temperature must be positive and finite unless greedy (got {Temperature}).", "settings");
        if (TopK < 0) throw new ArgumentException($"Top-k must be 0 (off) or positive (got {TopK}).", "settings");
        if (!(TopP > 0 && TopP <= 1)) throw new ArgumentException($"Top-p must lie in (0, 1] (got {TopP}).", "settings");
        if (!(MinP >= 0 && MinP <= 1)) throw new ArgumentException($"Min-p must lie in [0, 1] (got {MinP}).", "settings");
    }

    public override string ToString() => Greedy
        ? "greedy"
        : $"τ={Temperature}, top-k={TopK}, top-p={TopP}, min-p={MinP}";
}
