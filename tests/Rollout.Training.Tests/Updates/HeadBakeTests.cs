using Rollout.Kernels.Svd;
using Rollout.Training.Updates;

namespace Rollout.Training.Tests.Updates;

public sealed class HeadBakeTests
{
    [Fact]
    public void A_baked_head_is_w_plus_u_m_v_transposed()
    {
        const int vocab = 7, width = 5, rank = 3;
        var random = new Random(4);
        float[] Next(int n) => [.. Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1))];
        // Factors stored transposed, one singular vector per row (as HeadFactors keeps them): U_rᵀ (r × V), V_rᵀ (r × d).
        var factors = new HeadFactors(vocab, width, rank, Next(rank * vocab), [3, 2, 1], Next(rank * width));
        var core = new HeadCore(rank, Next(rank * rank));
        var head = Next(vocab * width);

        var baked = HeadBake.Apply(head, factors, core);

        Assert.Equal(head.Length, baked.Length);
        for (int v = 0; v < vocab; v++)
            for (int j = 0; j < width; j++)
            {
                double shift = 0;
                for (int a = 0; a < rank; a++)
                    for (int b = 0; b < rank; b++)
                        shift += (double)factors.VocabBasis[a * vocab + v] * core.Values[a * rank + b] * factors.HiddenBasis[b * width + j];
                Assert.Equal(head[v * width + j] + shift, baked[v * width + j], 5);
            }
        Assert.Throws<ArgumentException>(() => HeadBake.Apply(head, factors, HeadCore.Zero(2)));
    }
}
