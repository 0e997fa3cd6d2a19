using ILGPU;
using ILGPU.Runtime;
using Rollout.Kernels.Runtime;
using Rollout.Kernels.Sampling;
using Rollout.Kernels.Tests.Support;

namespace Rollout.Kernels.Tests.Sampling;

public sealed class TopLogitsTests(Accelerators accelerators)
{
    /// <summary>
    /// [0, 2, 1, 1, −1]: largest first, the tie at 1 by lowest id, so 1, 2, 3, 0, 4. With −∞ masks, [−∞, 0, −∞]: 1, then
    /// the masked ones by id. A NaN row gets −1 ids.
    /// </summary>
    [Theory, MemberData(nameof(Accelerators.Kinds), MemberType = typeof(Accelerators))]
    public void HandComputedCases(AcceleratorKind kind)
    {
        var host = accelerators.Get(kind);
        float[] row = [0, 2, 1, 1, -1];
        Assert.Equal([(1, 2f), (2, 1f), (3, 1f)], TokenSampling.TopLogitsReference(row, 3));
        AssertTop(Top(host, row, 5, 3), [1, 2, 3], [2, 1, 1]);
        AssertTop(Top(host, row, 5, 5), [1, 2, 3, 0, 4], [2, 1, 1, 0, -1]);
        float ninf = float.NegativeInfinity;
        AssertTop(Top(host, [ninf, 0, ninf], 3, 3), [1, 0, 2], [0, ninf, ninf]);
        var (ids, values) = Top(host, [0, 1, float.NaN, 3, 2, 1], 3, 2);
        Assert.Equal([TokenSampling.InvalidRow, TokenSampling.InvalidRow, 0, 1], ids);
        Assert.Equal([3f, 2], values[2..]);
    }

    /// <summary>Rows on a coarse grid (many ties) and a clipped top, against the reference's sort for several k.</summary>
    [Theory, MemberData(nameof(Accelerators.Kinds), MemberType = typeof(Accelerators))]
    public void RandomRowsMatchReference(AcceleratorKind kind)
    {
        var host = accelerators.Get(kind);
        foreach (var (vocab, k) in new[] { (1237, 1), (1237, 20), (7, 5), (7, 7) })
        {
            const int rows = 6;
            var logits = new Inputs(90 + vocab + k).Normal(rows * vocab, 2).Select((l, i) => i / vocab % 2 == 0 ? MathF.Round(l * 2) / 2 : MathF.Min(l, 1.5f)).ToArray();
            var expected = Enumerable.Range(0, rows).SelectMany(row => TokenSampling.TopLogitsReference(logits.AsSpan(row * vocab, vocab), k)).ToArray();
            var (ids, values) = Top(host, logits, vocab, k);
            Assert.Equal(expected.Length, ids.Length);
            Assert.Equal(expected.Select(e => e.TokenId), ids);
            Assert.Equal(expected.Select(e => e.Logit), values);
            // Sorted, each value its token's logit.
            for (int row = 0; row < rows; row++)
                for (int j = 0; j < k; j++)
                {
                    Assert.Equal(logits[row * vocab + ids[row * k + j]], values[row * k + j]);
                    if (j > 0) Assert.True(values[row * k + j] <= values[row * k + j - 1]);
                }
        }
    }

    [Theory, MemberData(nameof(Accelerators.Kinds), MemberType = typeof(Accelerators))]
    public void BadArgumentsAreRejected(AcceleratorKind kind)
    {
        var host = accelerators.Get(kind);
        const int vocab = 11;
        using var logits = host.Accelerator.Allocate1D<float>(2 * vocab);
        using var ids = host.Accelerator.Allocate1D<int>(6);
        using var values = host.Accelerator.Allocate1D<float>(6);
        Assert.Throws<ArgumentException>(() => TokenSampling.TopLogits(host, logits.View, ids.View, values.View, vocab, 0));
        Assert.Throws<ArgumentException>(() => TokenSampling.TopLogits(host, logits.View, ids.View, values.View, vocab, vocab + 1));
        Assert.Contains("ids", Assert.Throws<ArgumentException>(() => TokenSampling.TopLogits(host, logits.View, ids.View, values.View, vocab, 2)).Message);
        Assert.Throws<ArgumentException>(() => TokenSampling.TopLogits(host, logits.View, ids.View, values.View, 0, 3));
        Assert.Throws<ArgumentException>(() => TokenSampling.TopLogitsReference([], 1));
        Assert.Throws<ArgumentException>(() => TokenSampling.TopLogitsReference([1, 2], 3));
    }

    private static void AssertTop((int[] Ids, float[] Values) actual, int[] ids, float[] values)
    {
        Assert.Equal(ids, actual.Ids);
        Assert.Equal(values, actual.Values);
    }

    /// <summary>Runs the op on <paramref name="host"/> into buffers that start at −7 and NaN, so an entry never written shows.</summary>
    private static (int[] Ids, float[] Values) Top(AcceleratorHost host, float[] logits, int vocab, int k)
    {
        int rows = logits.Length / vocab;
        using var logitBuffer = host.Accelerator.Allocate1D(logits);
        using var ids = host.Accelerator.Allocate1D(Enumerable.Repeat(-7, rows * k).ToArray());
        using var values = Inputs.Poisoned(host.Accelerator, rows * k);
        TokenSampling.TopLogits(host, logitBuffer.View, ids.View, values.View, vocab, k);
        return (ids.GetAsArray1D(), values.GetAsArray1D());
    }
}
