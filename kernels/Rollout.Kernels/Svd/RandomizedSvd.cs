using ILGPU;
using ILGPU.Runtime;
using Rollout.Kernels.Runtime;

namespace Rollout.Kernels.Svd;

/// <summary>
/// Rank-r truncated SVD of the head W (V × d) by the Halko–Martinsson–Tropp randomized range finder with power
/// iterations and a fixed seed. The products with W run on the accelerator; the thin orthonormalisations and the
/// small (r+p)-column SVD run in float64 managed code.
/// </summary>
public static class RandomizedSvd
{
    /// <summary>Factors <paramref name="head"/> (vocab × width, row-major, on the accelerator).</summary>
    public static HeadFactors Compute(AcceleratorHost host, ArrayView<float> head, int vocab, int width, int rank,
        int oversampling, int powerIterations, int seed)
    {
        Require.Positive(vocab, nameof(vocab));
        Require.Positive(width, nameof(width));
        Require.Positive(rank, nameof(rank));
        Require.Length(head, (long)vocab * width, nameof(head));
        if (rank > Math.Min(vocab, width))
            throw new ArgumentException($"rank {rank} exceeds min(vocab, width) = {Math.Min(vocab, width)}.", nameof(rank));
        if (oversampling < 0 || powerIterations < 0)
            throw new ArgumentException("Oversampling and power iterations cannot be negative.");
        int samples = Math.Min(rank + oversampling, Math.Min(vocab, width));

        var accelerator = host.Accelerator;
        using var tall = accelerator.Allocate1D<float>((long)vocab * samples); // V × l
        using var wide = accelerator.Allocate1D<float>((long)width * samples); // d × l
        wide.CopyFromCPU(GaussianSketch(width, samples, seed));

        // Q = orth(W Ω), then q rounds of Q = orth(W orth(Wᵀ Q)): each round sharpens the spectrum's decay.
        MatrixProduct.Run(host, head, wide.View, tall.View, vocab, width, samples);
        var range = Orthonormal(tall, vocab, samples);
        for (int round = 0; round < powerIterations; round++)
        {
            tall.CopyFromCPU(ToRowMajor(range));
            MatrixProduct.RunTransposed(host, head, tall.View, wide.View, vocab, width, samples);
            wide.CopyFromCPU(ToRowMajor(Orthonormal(wide, width, samples)));
            MatrixProduct.Run(host, head, wide.View, tall.View, vocab, width, samples);
            range = Orthonormal(tall, vocab, samples);
        }

        // B = Qᵀ W (l × d); its rows are the columns of Bᵀ = V_B Σ U_Bᵀ, so W ≈ (Q U_B) Σ V_Bᵀ.
        tall.CopyFromCPU(ToRowMajor(range));
        using var projected = accelerator.Allocate1D<float>((long)samples * width);
        MatrixProduct.RunTransposed(host, tall.View, head, projected.View, vocab, samples, width);
        var (hiddenVectors, singular, coefficients) = JacobiSvd.Decompose(RowsOf(projected.GetAsArray1D(), samples, width));

        var vocabBasis = new float[(long)rank * vocab];
        var combined = new double[vocab];
        for (int j = 0; j < rank; j++)
        {
            Array.Clear(combined);
            for (int i = 0; i < samples; i++)
                DoubleVectors.AddScaled(range[i], coefficients[j][i], combined);
            for (int x = 0; x < vocab; x++) vocabBasis[(long)j * vocab + x] = (float)combined[x];
        }
        var hiddenBasis = new float[(long)rank * width];
        for (int j = 0; j < rank; j++)
            for (int x = 0; x < width; x++) hiddenBasis[j * width + x] = (float)hiddenVectors[j][x];
        return new HeadFactors(vocab, width, rank, vocabBasis, singular[..rank], hiddenBasis);
    }

    /// <summary>A standard normal rows × cols sketch from a seeded generator (Box–Muller), so every run factors alike.</summary>
    private static float[] GaussianSketch(int rows, int cols, int seed)
    {
        var random = new Random(seed);
        var sketch = new float[rows * cols];
        for (int i = 0; i < sketch.Length; i++)
            sketch[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
        return sketch;
    }

    private static double[][] Orthonormal(MemoryBuffer1D<float, Stride1D.Dense> buffer, int rows, int cols)
    {
        var columns = ColumnsOf(buffer.GetAsArray1D(), rows, cols);
        GramSchmidt.Orthonormalize(columns);
        return columns;
    }

    /// <summary>The rows of a row-major rows × cols matrix, in float64.</summary>
    private static double[][] RowsOf(float[] matrix, int rows, int cols)
    {
        var result = new double[rows][];
        for (int i = 0; i < rows; i++)
        {
            result[i] = new double[cols];
            for (int j = 0; j < cols; j++) result[i][j] = matrix[(long)i * cols + j];
        }
        return result;
    }

    /// <summary>The columns of a row-major rows × cols matrix, in float64.</summary>
    private static double[][] ColumnsOf(float[] matrix, int rows, int cols)
    {
        var columns = new double[cols][];
        for (int j = 0; j < cols; j++)
        {
            columns[j] = new double[rows];
            for (int i = 0; i < rows; i++) columns[j][i] = matrix[(long)i * cols + j];
        }
        return columns;
    }

    private static float[] ToRowMajor(double[][] columns)
    {
        int cols = columns.Length, rows = columns[0].Length;
        var matrix = new float[(long)rows * cols];
        for (int j = 0; j < cols; j++)
            for (int i = 0; i < rows; i++) matrix[(long)i * cols + j] = (float)columns[j][i];
        return matrix;
    }
}
