using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using ILGPU;
using ILGPU.Runtime;
using Rollout.Kernels.Runtime;

namespace Rollout.Kernels.Step;

/// <summary>
/// The vocabulary half of a step feature, u_t = (U_r[z_t,:] − U_rᵀ p_t) / τ (spec §4): one group per (row, component)
/// reduces U_r[:,a]·p_t over the vocabulary, with p_t rebuilt from the logits and the row's log-sum-exp.
/// U_r arrives transposed, as <c>vocabBasis</c> (rank × vocab), so the group's threads read it coalesced.
/// </summary>
public static class ScoreProjection
{
    /// <summary>Float64 reference: u (rows × r) from logits (rows × V), sampled tokens and U_rᵀ (r × V).</summary>
    public static double[] Reference(float[] logits, int[] tokens, float[] vocabBasis, int vocab, int rank, float temperature)
    {
        var rows = tokens.Length;
        var u = new double[rows * rank];
        var stats = SoftmaxStatistics.Reference(logits, tokens, vocab, temperature);
        for (int row = 0; row < rows; row++)
            for (int a = 0; a < rank; a++)
            {
                double expected = 0;
                for (int i = 0; i < vocab; i++)
                    expected += vocabBasis[(long)a * vocab + i]
                        * Math.Exp(logits[(long)row * vocab + i] / (double)temperature - stats[row].LogSumExp);
                u[row * rank + a] = (vocabBasis[(long)a * vocab + tokens[row]] - expected) / temperature;
            }
        return u;
    }

    /// <summary>
    /// Writes u (rows × rank) from <paramref name="logits"/> (rows × vocab), the sampled <paramref name="tokens"/>, the
    /// rows' <paramref name="statistics"/> (from <see cref="SoftmaxStatistics"/>) and U_rᵀ (rank × vocab).
    /// A token id outside the vocabulary gives NaN.
    /// </summary>
    public static void Run(AcceleratorHost host, ArrayView<float> logits, ArrayView<int> tokens,
        ArrayView<StepStatistics> statistics, ArrayView<float> vocabBasis, ArrayView<float> u,
        int vocab, int rank, float temperature)
    {
        Require.Positive(vocab, nameof(vocab));
        Require.Positive(rank, nameof(rank));
        Require.Temperature(temperature);
        var rows = tokens.Length;
        Require.Positive(rows, "rows");
        Require.Length(logits, rows * vocab, nameof(logits));
        Require.Length(statistics, rows, nameof(statistics));
        Require.Length(vocabBasis, (long)vocab * rank, nameof(vocabBasis));
        Require.Length(u, rows * rank, nameof(u));
        host.Dispatch(
            () => Managed(logits, tokens, statistics, vocabBasis, u, vocab, rank, 1f / temperature),
            () =>
            {
                var kernel = host.Kernel(static a => a.LoadStreamKernel<ArrayView<float>, ArrayView<int>,
                    ArrayView<StepStatistics>, ArrayView<float>, ArrayView<float>, int, int, float>(Kernel));
                kernel(host.ReductionLaunch((int)(rows * rank)), logits, tokens, statistics, vocabBasis, u, vocab, rank, 1f / temperature);
            });
    }

    /// <summary>
    /// The host form of <see cref="Kernel"/>: per vocabulary block (in parallel), each row's p_t rebuilt once and dotted
    /// with the r basis rows in float32, four rows and two basis rows at a time; the blocks' partial U_rᵀ p_t are then added in block order.
    /// </summary>
    private static void Managed(ArrayView<float> logits, ArrayView<int> tokens, ArrayView<StepStatistics> statistics,
        ArrayView<float> vocabBasis, ArrayView<float> u, int vocab, int rank, float inverseTemperature)
    {
        HostView<float> scores = logits.OnHost(), factors = vocabBasis.OnHost(), output = u.OnHost();
        HostView<int> sampled = tokens.OnHost();
        HostView<StepStatistics> rowStatistics = statistics.OnHost();
        int rows = sampled.Length, outputs = rows * rank, blocks = Blocks.Count(vocab, Blocks.Vocabulary);
        var partials = ArrayPool<float>.Shared.Rent(blocks * outputs);
        try
        {
            HostLoop.For(blocks, (long)rows * Blocks.Vocabulary * (rank + 1), block =>
            {
                var columns = Blocks.Of(block, vocab, Blocks.Vocabulary);
                Span<float> all = scores.Span, basis = factors.Span, partial = partials.AsSpan(block * outputs, outputs);
                var stats = rowStatistics.Span;
                Span<float> p = stackalloc float[RowGroup * columns.Length];
                for (int first = 0; first < rows; first += RowGroup)
                {
                    int count = Math.Min(RowGroup, rows - first);
                    for (int r = 0; r < count; r++)
                        Probabilities(all.Slice((first + r) * vocab + columns.Start, columns.Length), inverseTemperature, stats[first + r].LogSumExp,
                            p.Slice(r * columns.Length, columns.Length));
                    int paired = count == RowGroup ? rank - rank % 2 : 0;
                    for (int a = 0; a < paired; a += 2)
                        DotFourByTwo(basis.Slice(a * vocab + columns.Start, columns.Length), basis.Slice((a + 1) * vocab + columns.Start, columns.Length),
                            p, partial, first * rank + a, rank);
                    for (int a = paired; a < rank; a++)
                    {
                        var basisRow = basis.Slice(a * vocab + columns.Start, columns.Length);
                        for (int r = 0; r < count; r++)
                            partial[(first + r) * rank + a] = TensorPrimitives.Dot(basisRow, p.Slice(r * columns.Length, columns.Length));
                    }
                }
            });

            Span<float> features = output.Span, basis = factors.Span;
            var sampledTokens = sampled.Span;
            for (int row = 0; row < rows; row++)
                for (int a = 0; a < rank; a++)
                {
                    float expected = 0;
                    for (int block = 0; block < blocks; block++) expected += partials[block * outputs + row * rank + a];
                    int token = sampledTokens[row];
                    features[row * rank + a] = token >= 0 && token < vocab
                        ? (basis[a * vocab + token] - expected) * inverseTemperature
                        : float.NaN;
                }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(partials);
        }
    }

    /// <summary>p_i = exp(ℓ_i/τ − log-sum-exp) in one sweep (the multiply skipped at τ = 1, where it changes nothing).</summary>
    private static void Probabilities(ReadOnlySpan<float> logits, float inverseTemperature, float logSumExp, Span<float> p)
    {
        var xs = MemoryMarshal.Cast<float, Vector512<float>>(logits);
        var ps = MemoryMarshal.Cast<float, Vector512<float>>(p);
        var (scale, shift) = (Vector512.Create(inverseTemperature), Vector512.Create(logSumExp));
        bool scaled = inverseTemperature != 1f;
        for (int v = 0; v < xs.Length; v++) ps[v] = Exponential.Of((scaled ? xs[v] * scale : xs[v]) - shift);
        for (int i = xs.Length * Vector512<float>.Count; i < logits.Length; i++) p[i] = Exponential.Of((scaled ? logits[i] * inverseTemperature : logits[i]) - logSumExp);
    }

    /// <summary>Rows of p_t the managed path dots with each pair of basis rows together (<see cref="DotFourByTwo"/>).</summary>
    private const int RowGroup = 4;

    /// <summary>
    /// b_k·x_r for the two basis vectors b_0, b_1 and the four rows x_r laid end to end in <paramref name="x"/>, written to
    /// <paramref name="result"/> at <paramref name="at"/> + k + r·<paramref name="stride"/>: each load of a basis vector
    /// serves four rows and each load of a row two basis vectors (eight sums in registers), which makes this
    /// arithmetic-bound where separate dot products would be load-bound. In <see cref="Vector{T}"/>, unlike the exps:
    /// as fast as 512 bits at this size (the basis streams from memory), and eight 512-bit sums split into 256-bit
    /// halves would not fit AVX2's registers.
    /// </summary>
    private static void DotFourByTwo(ReadOnlySpan<float> b0, ReadOnlySpan<float> b1, ReadOnlySpan<float> x, Span<float> result, int at, int stride)
    {
        int n = b0.Length, whole = n - n % Vector<float>.Count;
        var c0 = MemoryMarshal.Cast<float, Vector<float>>(b0[..whole]);
        var c1 = MemoryMarshal.Cast<float, Vector<float>>(b1[..whole]);
        var x0 = MemoryMarshal.Cast<float, Vector<float>>(x.Slice(0, whole));
        var x1 = MemoryMarshal.Cast<float, Vector<float>>(x.Slice(n, whole));
        var x2 = MemoryMarshal.Cast<float, Vector<float>>(x.Slice(2 * n, whole));
        var x3 = MemoryMarshal.Cast<float, Vector<float>>(x.Slice(3 * n, whole));
        Vector<float> s00 = default, s01 = default, s02 = default, s03 = default, s10 = default, s11 = default, s12 = default, s13 = default;
        for (int i = 0; i < c0.Length; i++)
        {
            Vector<float> v = c0[i], w = c1[i], r0 = x0[i], r1 = x1[i], r2 = x2[i], r3 = x3[i];
            s00 = Vector.FusedMultiplyAdd(v, r0, s00); s01 = Vector.FusedMultiplyAdd(v, r1, s01);
            s02 = Vector.FusedMultiplyAdd(v, r2, s02); s03 = Vector.FusedMultiplyAdd(v, r3, s03);
            s10 = Vector.FusedMultiplyAdd(w, r0, s10); s11 = Vector.FusedMultiplyAdd(w, r1, s11);
            s12 = Vector.FusedMultiplyAdd(w, r2, s12); s13 = Vector.FusedMultiplyAdd(w, r3, s13);
        }
        Span<float> sums = [Vector.Sum(s00), Vector.Sum(s01), Vector.Sum(s02), Vector.Sum(s03), Vector.Sum(s10), Vector.Sum(s11), Vector.Sum(s12), Vector.Sum(s13)];
        for (int i = whole; i < n; i++)
            for (int r = 0; r < RowGroup; r++)
            {
                sums[r] += b0[i] * x[r * n + i];
                sums[RowGroup + r] += b1[i] * x[r * n + i];
            }
        for (int r = 0; r < RowGroup; r++)
        {
            result[at + r * stride] = sums[r];
            result[at + 1 + r * stride] = sums[RowGroup + r];
        }
    }

    private static void Kernel(ArrayView<float> logits, ArrayView<int> tokens, ArrayView<StepStatistics> statistics,
        ArrayView<float> vocabBasis, ArrayView<float> u, int vocab, int rank, float inverseTemperature)
    {
        int row = Grid.IdxX / rank, a = Grid.IdxX % rank;
        long offset = (long)row * vocab, basis = (long)a * vocab;
        float logSumExp = statistics[row].LogSumExp;
        float partial = 0;
        for (int i = Group.IdxX; i < vocab; i += Group.DimX)
            partial += vocabBasis[basis + i] * MathF.Exp(logits[offset + i] * inverseTemperature - logSumExp);
        float expected = GroupReduce.Sum(partial);

        if (Group.IdxX != 0) return;
        int token = tokens[row];
        u[Grid.IdxX] = token >= 0 && token < vocab
            ? (vocabBasis[basis + token] - expected) * inverseTemperature
            : float.NaN;
    }
}
