using Rollout.Kernels.Runtime;
using Rollout.Kernels.Svd;
using Rollout.Kernels.Tests.Support;

namespace Rollout.Kernels.Tests.Svd;

public sealed class SvdTests(Accelerators accelerators)
{
    [Theory, MemberData(nameof(Accelerators.Kinds), MemberType = typeof(Accelerators))]
    public void MatrixProductsMatchReference(AcceleratorKind kind)
    {
        var host = accelerators.Get(kind);
        const int m = 13, k = 300, n = 5; // k: more than one of the managed path's blocks of 256
        var inputs = new Inputs(51);
        var a = inputs.Normal(m * k);
        var b = inputs.Normal(k * n);
        var tall = inputs.Normal(k * m);
        using var aBuffer = host.Accelerator.Allocate1D(a);
        using var bBuffer = host.Accelerator.Allocate1D(b);
        using var tallBuffer = host.Accelerator.Allocate1D(tall);
        using var product = Inputs.Poisoned(host.Accelerator, m * n);
        using var transposed = Inputs.Poisoned(host.Accelerator, m * n);

        MatrixProduct.Run(host, aBuffer.View, bBuffer.View, product.View, m, k, n);
        MatrixProduct.RunTransposed(host, tallBuffer.View, bBuffer.View, transposed.View, k, m, n);

        Close.Assert(MatrixProduct.Reference(a, b, m, k, n), product.GetAsArray1D(), "A B");
        Close.Assert(MatrixProduct.TransposedReference(tall, b, k, m, n), transposed.GetAsArray1D(), "Aᵀ B");
    }

    [Fact]
    public void GramSchmidtGivesOrthonormalColumnsSpanningTheInput()
    {
        var inputs = new Inputs(52);
        var original = Enumerable.Range(0, 6).Select(_ => inputs.Normal(40).Select(x => (double)x).ToArray()).ToArray();
        var columns = original.Select(c => c.ToArray()).ToArray();
        GramSchmidt.Orthonormalize(columns);
        for (int i = 0; i < columns.Length; i++)
            for (int j = 0; j < columns.Length; j++)
                Assert.Equal(i == j ? 1 : 0, Dot(columns[i], columns[j]), 12);
        // Each original column lies in the span: its projection keeps its norm.
        foreach (var c in original)
            Assert.Equal(Dot(c, c), columns.Sum(q => Dot(q, c) * Dot(q, c)), 9);
    }

    [Theory, MemberData(nameof(Accelerators.Kinds), MemberType = typeof(Accelerators))]
    public void RandomizedSvdRecoversAKnownSpectrum(AcceleratorKind kind)
    {
        var host = accelerators.Get(kind);
        const int vocab = 301, width = 45, rank = 7;
        var inputs = new Inputs(53);
        var spectrum = Enumerable.Range(0, width).Select(i => 5 * Math.Pow(0.7, i)).ToArray();
        var left = RandomOrthonormal(inputs, vocab, width);
        var right = RandomOrthonormal(inputs, width, width);
        var head = new float[vocab * width];
        for (int i = 0; i < vocab; i++)
            for (int j = 0; j < width; j++)
            {
                double sum = 0;
                for (int s = 0; s < width; s++) sum += left[s][i] * spectrum[s] * right[s][j];
                head[i * width + j] = (float)sum;
            }
        using var headBuffer = host.Accelerator.Allocate1D(head);

        var factors = RandomizedSvd.Compute(host, headBuffer.View, vocab, width, rank, oversampling: 10, powerIterations: 2, seed: 7);

        Close.Assert(spectrum[..rank], factors.Singular.Select(s => (float)s).ToArray(), "σ");
        // ‖W − U S Vᵀ‖_F against the optimal rank-r error √(Σ_{i≥r} σ_i²), both in float64.
        double residual = 0;
        for (int i = 0; i < vocab; i++)
            for (int j = 0; j < width; j++)
            {
                double approx = 0;
                for (int s = 0; s < rank; s++)
                    approx += factors.VocabBasis[s * vocab + i] * factors.Singular[s] * factors.HiddenBasis[s * width + j];
                residual += Math.Pow(head[i * width + j] - approx, 2);
            }
        var optimal = Math.Sqrt(spectrum[rank..].Sum(s => s * s));
        Assert.InRange(Math.Sqrt(residual) / optimal, 1 - 1e-4, 1 + 1e-3);
        AssertOrthonormalRows(factors.VocabBasis, rank, vocab);
        AssertOrthonormalRows(factors.HiddenBasis, rank, width);
    }

    [Theory, MemberData(nameof(Accelerators.Kinds), MemberType = typeof(Accelerators))]
    public void RankBeyondTheMatrixIsRejected(AcceleratorKind kind)
    {
        var host = accelerators.Get(kind);
        using var head = host.Accelerator.Allocate1D<float>(20 * 4);
        Assert.Throws<ArgumentException>(() => RandomizedSvd.Compute(host, head.View, 20, 4, 5, 2, 1, 1));
        Assert.Throws<ArgumentException>(() => RandomizedSvd.Compute(host, head.View, 20, 5, 3, 2, 1, 1));
    }

    private static double[][] RandomOrthonormal(Inputs inputs, int rows, int cols)
    {
        var columns = Enumerable.Range(0, cols).Select(_ => Enumerable.Range(0, rows).Select(_ => inputs.NextNormal()).ToArray()).ToArray();
        GramSchmidt.Orthonormalize(columns);
        return columns;
    }

    private static void AssertOrthonormalRows(float[] matrix, int rows, int cols)
    {
        for (int a = 0; a < rows; a++)
            for (int b = 0; b < rows; b++)
            {
                double dot = 0;
                for (int i = 0; i < cols; i++) dot += (double)matrix[a * cols + i] * matrix[b * cols + i];
                Assert.InRange(dot, (a == b ? 1 : 0) - 1e-4, (a == b ? 1 : 0) + 1e-4);
            }
    }

    private static double Dot(double[] x, double[] y) => x.Zip(y, (a, b) => a * b).Sum();
}
