using Rollout.Kernels.Update;
using Ops = Rollout.Kernels.Update;

namespace Rollout.Kernels.Bench.Update;

/// <summary>The core update: the gradient on M over N = 32768 tokens' features, and one AdamW step on M (r × r).</summary>
public class UpdateBenchmarks : KernelBenchmark
{
    private static readonly AdamWSettings Settings = new();

    private ArrayView<float> u, v, tokenAdvantages, fisher, core, coreGradient, firstMoment, secondMoment;

    protected override void Allocate()
    {
        u = Uniform((long)Tokens * Rank, 2);
        v = Uniform((long)Tokens * Rank, 2);
        tokenAdvantages = Uniform(Tokens, 1);
        fisher = Uniform(Rank * Rank, 1);
        core = Uniform(Rank * Rank, 0.1f);
        coreGradient = Uniform(Rank * Rank, 0.01f);
        firstMoment = Zeros<float>(Rank * Rank);
        secondMoment = Zeros<float>(Rank * Rank);
    }

    // Reads u and v (N × r each), A_t (N), F and M (r × r each); writes the gradient (r × r).
    [Benchmark(Description = "core gradient"), Traffic(F * (2 * Tokens * Rank + Tokens + 3 * Rank * Rank))]
    public void CoreGradient()
    {
        Ops.CoreGradient.Run(Host, u, v, tokenAdvantages, fisher, core, coreGradient, Rank, 0.001f);
        Synchronize();
    }

    // Reads M, the gradient and both moments; writes M and both moments (r × r each).
    [Benchmark(Description = "AdamW on M"), Traffic(F * 7 * Rank * Rank)]
    public void AdamW()
    {
        Ops.AdamW.Run(Host, core, coreGradient, firstMoment, secondMoment, 1, Settings);
        Synchronize();
    }
}
