namespace Rollout.Kernels.Bench.Roofline;

/// <summary>One timed memory stream (a copy or a triad): the bytes it moved (STREAM's count, no write-allocate) and the best time of its trials.</summary>
public sealed record StreamRate(string Name, long Bytes, double Seconds, int Trials)
{
    public double GigabytesPerSecond => Bytes / Seconds / 1e9;
}
