using ILGPU;
using ILGPU.Runtime;
using Rollout.Kernels.Runtime;

namespace Rollout.Kernels.Episode;

/// <summary>
/// Diagonal Fisher of the proxy M over each scope's tokens (spec §4): F_ab = λ + (1/N) Σ_t u_{t,a}² v_{t,b}².
/// One group per (scope, a, b) reduces over the scope's tokens.
/// </summary>
public static class DiagonalFisher
{
    /// <summary>Float64 reference: F (scopes × r × r).</summary>
    public static double[] Reference(float[] u, float[] v, IndexRange[] scopes, int rank, double damping)
    {
        var fisher = new double[scopes.Length * rank * rank];
        for (int s = 0; s < scopes.Length; s++)
            for (int a = 0; a < rank; a++)
                for (int b = 0; b < rank; b++)
                {
                    double sum = 0;
                    for (int t = scopes[s].Start; t < scopes[s].End; t++)
                    {
                        double ua = u[t * rank + a], vb = v[t * rank + b];
                        sum += ua * ua * vb * vb;
                    }
                    fisher[(s * rank + a) * rank + b] = damping + sum / scopes[s].Length;
                }
        return fisher;
    }

    /// <summary>
    /// Writes F (scopes × rank × rank) from the step features <paramref name="u"/>, <paramref name="v"/> (N × rank) over
    /// each scope's token range (a group's or the batch's tokens).
    /// </summary>
    public static void Run(AcceleratorHost host, ArrayView<float> u, ArrayView<float> v, ReadOnlySpan<IndexRange> scopes,
        ArrayView<float> fisher, int rank, float damping)
    {
        Require.Positive(rank, nameof(rank));
        Require.Length(v, u.Length, nameof(v));
        if (u.Length % rank != 0) throw new ArgumentException($"u holds {u.Length} elements, not a multiple of rank {rank}.", nameof(u));
        IndexRange.Validate(scopes, (int)(u.Length / rank), "scopes");
        Require.Length(fisher, (long)scopes.Length * rank * rank, nameof(fisher));
        var scopeArray = scopes.ToArray();
        host.Dispatch(
            () => Managed(u, v, scopeArray, fisher, rank, damping),
            () =>
            {
                using var scopeBuffer = host.Accelerator.Allocate1D(scopeArray);
                var kernel = host.Kernel(static a => a.LoadStreamKernel<ArrayView<float>, ArrayView<float>,
                    ArrayView<IndexRange>, ArrayView<float>, int, float>(Kernel));
                kernel(host.ReductionLaunch(scopeArray.Length * rank * rank), u, v, scopeBuffer.View, fisher, rank, damping);
                host.Accelerator.Synchronize(); // the scope buffer is freed on return
            });
    }

    /// <summary>The host form of <see cref="Kernel"/>: per scope, Σ_t (u_t²)(v_t²)ᵀ in float32 over blocks of tokens in parallel.</summary>
    private static void Managed(ArrayView<float> u, ArrayView<float> v, IndexRange[] scopes, ArrayView<float> fisher, int rank, float damping)
    {
        HostView<float> x = u.OnHost(), y = v.OnHost();
        var output = fisher.OnHost().Span;
        int entries = rank * rank;
        for (int s = 0; s < scopes.Length; s++)
        {
            var scope = output.Slice(s * entries, entries);
            OuterProducts.Sum(x, y, default, squared: true, scopes[s], rank, scope);
            for (int e = 0; e < entries; e++) scope[e] = damping + scope[e] / scopes[s].Length;
        }
    }

    private static void Kernel(ArrayView<float> u, ArrayView<float> v, ArrayView<IndexRange> scopes,
        ArrayView<float> fisher, int rank, float damping)
    {
        int entries = rank * rank;
        var scope = scopes[Grid.IdxX / entries];
        int a = Grid.IdxX % entries / rank, b = Grid.IdxX % rank;
        float partial = 0;
        for (int t = scope.Start + Group.IdxX; t < scope.End; t += Group.DimX)
        {
            float ua = u[t * rank + a], vb = v[t * rank + b];
            partial += ua * ua * vb * vb;
        }
        float sum = GroupReduce.Sum(partial);
        if (Group.IdxX == 0) fisher[Grid.IdxX] = damping + sum / scope.Length;
    }
}
