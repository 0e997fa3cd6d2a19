using Rollout.Kernels.Step;
using Ops = Rollout.Kernels.Step;

namespace Rollout.Kernels.Bench.Step;

/// <summary>The per-decode-step ops over 64 rows of a V = 151936, d = 896 head at rank 32.</summary>
public class StepBenchmarks : KernelBenchmark
{
    private const float Temperature = 0.8f;

    private ArrayView<float> logits, hidden, hiddenBasis, vocabBasis, core, v, coreShift, u;
    private ArrayView<int> tokens;
    private ArrayView<StepStatistics> statistics;

    protected override void Allocate()
    {
        logits = Uniform((long)Rows * Vocab, 8);
        tokens = Integers(Rows, Vocab);
        hidden = Uniform(Rows * Width, 2);
        hiddenBasis = Uniform(Rank * Width, 0.1f);
        vocabBasis = Uniform((long)Rank * Vocab, 0.01f);
        core = Uniform(Rank * Rank, 0.1f);
        v = Uniform(Rows * Rank, 2);
        coreShift = Zeros<float>(Rows * Rank);
        u = Zeros<float>(Rows * Rank);
        statistics = Zeros<StepStatistics>(Rows);
        // The score projection rebuilds p_t from the rows' log-sum-exp, so it gets real ones.
        Ops.SoftmaxStatistics.Run(Host, logits, tokens, statistics, Vocab, Temperature);
    }

    // Reads h (rows × d) and V_rᵀ (r × d); writes v (rows × r).
    [Benchmark(Description = "v = V_rᵀ h"), Traffic(F * (Rows * Width + Rank * Width + Rows * Rank))]
    public void HiddenProjection()
    {
        Ops.HiddenProjection.Run(Host, hidden, hiddenBasis, v, Width, Rank);
        Synchronize();
    }

    // Reads and writes ℓ (rows × V, in place); reads U_rᵀ (r × V), v (rows × r) and M (r × r); writes M v (rows × r).
    [Benchmark(Description = "ℓ += U_r (M v)"), Traffic(F * (2 * Rows * Vocab + Rank * Vocab + 2 * Rows * Rank + Rank * Rank))]
    public void HeadCoreShift()
    {
        Ops.HeadCoreShift.Run(Host, logits, v, vocabBasis, core, coreShift, Vocab, Rank);
        Synchronize();
    }

    // Reads ℓ (rows × V) and the sampled tokens; writes the statistics (five floats a row).
    [Benchmark(Description = "softmax statistics"), Traffic(F * Rows * Vocab + I * Rows + 5 * F * Rows)]
    public void SoftmaxStatistics()
    {
        Ops.SoftmaxStatistics.Run(Host, logits, tokens, statistics, Vocab, Temperature);
        Synchronize();
    }

    // Reads ℓ (rows × V), U_rᵀ (r × V), the tokens and the statistics; writes u (rows × r).
    [Benchmark(Description = "u = (U_r[z] − U_rᵀp)/τ"), Traffic(F * (Rows * Vocab + Rank * Vocab + 5 * Rows + Rows * Rank) + I * Rows)]
    public void ScoreProjection()
    {
        Ops.ScoreProjection.Run(Host, logits, tokens, statistics, vocabBasis, u, Vocab, Rank, Temperature);
        Synchronize();
    }
}
