using Rollout.Models.Training.Ops;

namespace Rollout.Models.Tests.Training;

public class MatMulTests
{
    [Theory]
    [InlineData(4, 2, 8)]
    [InlineData(7, 5, 13)]
    [InlineData(9, 11, 40)]
    [InlineData(64, 33, 129)]
    public void ProductMatchesNaiveLoop(int m, int n, int k)
    {
        var rng = new Random(m * 100 + n);
        var a = Enumerable.Range(0, m * k).Select(_ => rng.NextDouble() - 0.5).ToArray();
        var b = Enumerable.Range(0, n * k).Select(_ => rng.NextDouble() - 0.5).ToArray();
        var c = Enumerable.Range(0, m * n).Select(_ => rng.NextDouble()).ToArray();
        var start = (double[])c.Clone();
        MatMul.MultiplyTransposed(a, b, c, m, n, k, accumulate: true);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double expected = start[i * n + j];
                for (int p = 0; p < k; p++) expected += a[i * k + p] * b[j * k + p];
                Assert.Equal(expected, c[i * n + j], 1e-12);
            }
    }

    [Fact]
    public void TransposeSwapsIndices()
    {
        var src = Enumerable.Range(0, 35 * 70).Select(i => (float)i).ToArray();
        var dst = new float[src.Length];
        MatMul.Transpose(src, dst, 35, 70);
        for (int r = 0; r < 35; r++)
            for (int c = 0; c < 70; c++) Assert.Equal(src[r * 70 + c], dst[c * 35 + r]);
    }
}
