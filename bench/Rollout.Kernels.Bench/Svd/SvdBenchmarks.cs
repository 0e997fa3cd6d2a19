using Rollout.Kernels.Svd;
using Ops = Rollout.Kernels.Svd;

namespace Rollout.Kernels.Bench.Svd;

/// <summary>
/// The rank-32 randomized SVD of a V × d head, once per model load, at the library's default p and q. A call takes
/// tens of seconds on the managed backend here, so the first (compiling) call is its only warm-up and two are measured.
/// </summary>
[WarmupCount(0), IterationCount(2)]
public class SvdBenchmarks : KernelBenchmark
{
    private static readonly L2TOptions Options = new();

    private ArrayView<float> head;

    protected override void Allocate() => head = Uniform((long)Vocab * Width, 1);

    // Reads W (V × d); writes U_rᵀ (r × V), V_rᵀ (r × d) and S_r. The method itself sweeps W 2q + 2 times (q = 2 power
    // iterations), so it reaches 1 / (2q + 2) of the roof at the most.
    [Benchmark(Description = "randomized SVD (p 10, q 2)"), Traffic(F * (Vocab * Width + Rank * Vocab + Rank * Width) + D * Rank)]
    public HeadFactors RandomizedSvd()
    {
        var factors = Ops.RandomizedSvd.Compute(Host, head, Vocab, Width, Rank, Options.SvdOversampling,
            Options.SvdPowerIterations, Options.SvdSeed);
        Synchronize();
        return factors;
    }
}
