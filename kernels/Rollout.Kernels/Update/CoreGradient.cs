using ILGPU;
using ILGPU.Runtime;
using Rollout.Kernels.Runtime;

namespace Rollout.Kernels.Update;

/// <summary>
/// Gradient of the GRPO loss on the head core M from step features (spec §6):
/// grad_ab = −(1/N) Σ_t A_t u_{t,a} v_{t,b} + β_KL F_ab M_ab. One group per entry (a, b) reduces over the N tokens.
/// </summary>
public static class CoreGradient
{
    /// <summary>Float64 reference: grad (r × r).</summary>
    public static double[] Reference(float[] u, float[] v, float[] tokenAdvantages, float[] fisher, float[] core, int rank, double klWeight)
    {
        int tokens = tokenAdvantages.Length;
        var gradient = new double[rank * rank];
        for (int a = 0; a < rank; a++)
            for (int b = 0; b < rank; b++)
            {
                double sum = 0;
                for (int t = 0; t < tokens; t++) sum += (double)tokenAdvantages[t] * u[t * rank + a] * v[t * rank + b];
                gradient[a * rank + b] = -sum / tokens + klWeight * fisher[a * rank + b] * core[a * rank + b];
            }
        return gradient;
    }

    /// <summary>Writes grad (rank × rank) from u, v (N × rank), A_t (N), the Fisher F and the core M (rank × rank).</summary>
    public static void Run(AcceleratorHost host, ArrayView<float> u, ArrayView<float> v, ArrayView<float> tokenAdvantages,
        ArrayView<float> fisher, ArrayView<float> core, ArrayView<float> gradient, int rank, float klWeight)
    {
        Require.Positive(rank, nameof(rank));
        Require.Positive(tokenAdvantages.Length, "token count");
        Require.Length(u, tokenAdvantages.Length * rank, nameof(u));
        Require.Length(v, tokenAdvantages.Length * rank, nameof(v));
        Require.Length(fisher, (long)rank * rank, nameof(fisher));
        Require.Length(core, (long)rank * rank, nameof(core));
        Require.Length(gradient, (long)rank * rank, nameof(gradient));
        host.Dispatch(
            () => Managed(u, v, tokenAdvantages, fisher, core, gradient, rank, klWeight),
            () =>
            {
                var kernel = host.Kernel(static a => a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>,
                    ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float>(Kernel));
                kernel(host.ReductionLaunch(rank * rank), u, v, tokenAdvantages, fisher, core, gradient, rank, klWeight);
            });
    }

    /// <summary>The host form of <see cref="Kernel"/>: Σ_t A_t u_t v_tᵀ in float32 over blocks of tokens in parallel, then the KL term.</summary>
    private static void Managed(ArrayView<float> u, ArrayView<float> v, ArrayView<float> tokenAdvantages,
        ArrayView<float> fisher, ArrayView<float> core, ArrayView<float> gradient, int rank, float klWeight)
    {
        int tokens = (int)tokenAdvantages.Length;
        var result = gradient.OnHost().Span;
        OuterProducts.Sum(u.OnHost(), v.OnHost(), tokenAdvantages.OnHost(), squared: false, new IndexRange(0, tokens), rank, result);
        Span<float> f = fisher.OnHost().Span, m = core.OnHost().Span;
        for (int entry = 0; entry < result.Length; entry++) result[entry] = -result[entry] / tokens + klWeight * f[entry] * m[entry];
    }

    private static void Kernel(ArrayView<float> u, ArrayView<float> v, ArrayView<float> tokenAdvantages,
        ArrayView<float> fisher, ArrayView<float> core, ArrayView<float> gradient, int rank, float klWeight)
    {
        int entry = Grid.IdxX, a = entry / rank, b = entry % rank;
        int tokens = (int)tokenAdvantages.Length;
        float partial = 0;
        for (int t = Group.IdxX; t < tokens; t += Group.DimX)
            partial += tokenAdvantages[t] * u[t * rank + a] * v[t * rank + b];
        float sum = GroupReduce.Sum(partial);
        if (Group.IdxX == 0) gradient[entry] = -sum / tokens + klWeight * fisher[entry] * core[entry];
    }
}
