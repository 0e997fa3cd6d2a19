using Rollout.Kernels.Runtime;
using Rollout.Kernels.Sampling;
using Rollout.Kernels.Tests.Support;

namespace Rollout.Kernels.Tests.Sampling;

public sealed class TokenSamplingTests(Accelerators accelerators)
{
    // Few rows and a modest vocabulary: ILGPU's CPU accelerator simulates every barrier of the bisections.
    // 1237 is no multiple of any group size; 7 leaves most threads of a group without a chunk.
    private const int Rows = 9;
    private static readonly int[] Vocabularies = [1237, 7];

    [Theory, MemberData(nameof(Accelerators.Kinds), MemberType = typeof(Accelerators))]
    public void GreedyMatchesReference(AcceleratorKind kind) =>
        AssertMatchesReference(kind, SamplingSettings.GreedyDecoding);

    [Theory, MemberData(nameof(Accelerators.Kinds), MemberType = typeof(Accelerators))]
    public void TemperatureAloneMatchesReference(AcceleratorKind kind) =>
        AssertMatchesReference(kind, SamplingSettings.Sample(temperature: 0.7));

    [Theory, MemberData(nameof(Accelerators.Kinds), MemberType = typeof(Accelerators))]
    public void TopKMatchesReference(AcceleratorKind kind) =>
        AssertMatchesReference(kind, SamplingSettings.Sample(temperature: 0.7, topK: 5));

    [Theory, MemberData(nameof(Accelerators.Kinds), MemberType = typeof(Accelerators))]
    public void TopPMatchesReference(AcceleratorKind kind) =>
        AssertMatchesReference(kind, SamplingSettings.Sample(temperature: 0.7, topP: 0.9));

    [Theory, MemberData(nameof(Accelerators.Kinds), MemberType = typeof(Accelerators))]
    public void MinPMatchesReference(AcceleratorKind kind) =>
        AssertMatchesReference(kind, SamplingSettings.Sample(temperature: 0.7, minP: 0.05));

    [Theory, MemberData(nameof(Accelerators.Kinds), MemberType = typeof(Accelerators))]
    public void CombinedTruncationsMatchReference(AcceleratorKind kind) =>
        AssertMatchesReference(kind, SamplingSettings.Sample(temperature: 1.3, topK: 40, topP: 0.8, minP: 0.02));

    [Theory, MemberData(nameof(Accelerators.Kinds), MemberType = typeof(Accelerators))]
    public void TopKOfOneAndTinyTopPAreGreedy(AcceleratorKind kind)
    {
        var host = accelerators.Get(kind);
        foreach (var vocab in Vocabularies)
        {
            var (logits, uniforms) = RandomRows(seed: 40 + vocab, vocab, ties: true);
            var greedy = Sample(host, logits, uniforms, vocab, SamplingSettings.GreedyDecoding);
            Assert.Equal(greedy, Sample(host, logits, uniforms, vocab, SamplingSettings.Sample(temperature: 0.7, topK: 1)));
            Assert.Equal(greedy, Sample(host, logits, uniforms, vocab, SamplingSettings.Sample(temperature: 0.7, topP: 1e-9)));
            Assert.Equal(References(logits, uniforms, vocab, SamplingSettings.GreedyDecoding), greedy);
        }
    }

    /// <summary>Logits on a coarse grid, so many tokens share a weight: the cuts and the greedy pick break ties by id.</summary>
    [Theory, MemberData(nameof(Accelerators.Kinds), MemberType = typeof(Accelerators))]
    public void TiedWeightsMatchReference(AcceleratorKind kind)
    {
        AssertMatchesReference(kind, SamplingSettings.GreedyDecoding, ties: true);
        AssertMatchesReference(kind, SamplingSettings.Sample(temperature: 0.7, topK: 5), ties: true);
        AssertMatchesReference(kind, SamplingSettings.Sample(temperature: 0.7, topP: 0.9), ties: true);
        AssertMatchesReference(kind, SamplingSettings.Sample(temperature: 0.7, topK: 30, topP: 0.5, minP: 0.05), ties: true);
    }

    /// <summary>u = 0 takes the first kept token in id order; u just below 1 the last, however the sums round.</summary>
    [Theory, MemberData(nameof(Accelerators.Kinds), MemberType = typeof(Accelerators))]
    public void ExtremeUniformsMatchReference(AcceleratorKind kind)
    {
        var host = accelerators.Get(kind);
        const int vocab = 301;
        var settings = SamplingSettings.Sample(temperature: 2, topK: 50, topP: 0.95);
        var (logits, _) = RandomRows(seed: 50, vocab);
        double[] uniforms = [0, 0, 0, Math.BitDecrement(1.0), Math.BitDecrement(1.0), Math.BitDecrement(1.0), 0.5, 1e-300, 0.999];
        Assert.Equal(References(logits, uniforms, vocab, settings), Sample(host, logits, uniforms, vocab, settings));
    }

    /// <summary>
    /// V = 5, logits [0, 2, 1, 1, −1]. With τ = 1 the weights exp(ℓ − 2) are
    /// w = [e⁻² ≈ 0.1353, 1, e⁻¹ ≈ 0.3679, 0.3679, e⁻³ ≈ 0.0498], total ≈ 1.9208; sampling order 1, 2, 3 (tie: lower id
    /// first), 0, 4. Cumulative weights in id order: 0.1353, 1.1353, 1.5032, 1.8711, 1.9209.
    /// </summary>
    [Theory, MemberData(nameof(Accelerators.Kinds), MemberType = typeof(Accelerators))]
    public void HandComputedCases(AcceleratorKind kind)
    {
        float[] logits = [0, 2, 1, 1, -1];
        (SamplingSettings Settings, double U, int Expected)[] cases =
        [
            (SamplingSettings.GreedyDecoding, 0.99, 1),
            // No truncation: u·total = 0.0960 < 0.1353 → 0; 0.9604 falls in (0.1353, 1.1353] → 1; 1.9016 in (1.8711, 1.9209] → 4.
            (SamplingSettings.Sample(), 0.05, 0),
            (SamplingSettings.Sample(), 0.5, 1),
            (SamplingSettings.Sample(), 0.99, 4),
            // Top-k 2 keeps {1, 2} (2 beats its tie 3 by id), total 1.3679: 0.9·1.3679 = 1.2311 > 1 → 2; 0.5·1.3679 = 0.684 → 1.
            (SamplingSettings.Sample(topK: 2), 0.9, 2),
            (SamplingSettings.Sample(topK: 2), 0.5, 1),
            // Top-k 3 keeps {1, 2, 3}, total 1.7358: 0.99·1.7358 = 1.7184 > 1.3679 → 3.
            (SamplingSettings.Sample(topK: 3), 0.99, 3),
            // Top-p 0.5: need 0.9604 ≤ 1, so {1} alone.
            (SamplingSettings.Sample(topP: 0.5), 0.99, 1),
            // Top-p 0.6: need 1.1525; 1 < need ≤ 1.3679 → {1, 2}; 0.9·1.3679 → 2.
            (SamplingSettings.Sample(topP: 0.6), 0.9, 2),
            // Top-p 0.75: need 1.4406; 1.3679 < need ≤ 1.7358 → {1, 2, 3}: u = 0 gives 1 (0 is cut), 0.99 gives 3.
            (SamplingSettings.Sample(topP: 0.75), 0, 1),
            (SamplingSettings.Sample(topP: 0.75), 0.99, 3),
            // Min-p 0.2 keeps w ≥ 0.2: {1, 2, 3}, so u = 0.01 gives 1; min-p 0.1 keeps 0 too, which u = 0.01 then gives.
            (SamplingSettings.Sample(minP: 0.2), 0.01, 1),
            (SamplingSettings.Sample(minP: 0.1), 0.01, 0),
            // τ = 0.5: w = exp(2(ℓ − 2)) = [0.0183, 1, 0.1353, 0.1353, 0.0025], total 1.2914; cumulative 0.0183, 1.0183,
            // 1.1536, 1.2890, 1.2914: u = 0.05 → 0.0646 → 1; u = 0.9 → 1.1622 → 3.
            (SamplingSettings.Sample(temperature: 0.5), 0.05, 1),
            (SamplingSettings.Sample(temperature: 0.5), 0.9, 3),
        ];
        var host = accelerators.Get(kind);
        foreach (var (settings, u, expected) in cases)
        {
            Assert.True(expected == TokenSampling.Reference(logits, settings, u), $"reference, {settings}, u = {u}");
            Assert.True(expected == Sample(host, logits, [u], logits.Length, settings)[0], $"{kind}, {settings}, u = {u}");
        }
    }

    [Theory, MemberData(nameof(Accelerators.Kinds), MemberType = typeof(Accelerators))]
    public void InvalidRowsGiveMinusOne(AcceleratorKind kind)
    {
        var host = accelerators.Get(kind);
        const int vocab = 37;
        var (logits, uniforms) = RandomRows(seed: 60, vocab, rows: 4);
        logits[0 * vocab + 5] = float.NaN;
        logits[1 * vocab + 36] = float.PositiveInfinity;
        Array.Fill(logits, float.NegativeInfinity, 2 * vocab, vocab);
        foreach (var settings in new[] { SamplingSettings.GreedyDecoding, SamplingSettings.Sample(topK: 3, topP: 0.9, minP: 0.1) })
        {
            var tokens = Sample(host, logits, uniforms, vocab, settings);
            Assert.Equal([TokenSampling.InvalidRow, TokenSampling.InvalidRow, TokenSampling.InvalidRow], tokens[..3]);
            Assert.InRange(tokens[3], 0, vocab - 1);
            Assert.Equal(References(logits, uniforms, vocab, settings), tokens);
        }
    }

    /// <summary>−∞ masks a token: with half the row masked, including its largest logits, no draw returns a masked id.</summary>
    [Theory, MemberData(nameof(Accelerators.Kinds), MemberType = typeof(Accelerators))]
    public void MaskedTokensAreNeverDrawn(AcceleratorKind kind)
    {
        var host = accelerators.Get(kind);
        const int vocab = 61, rows = 16;
        var row = new Inputs(70).Normal(vocab, 1);
        var masked = Enumerable.Range(0, vocab).Where(i => i % 2 == 0 || row[i] > 1).ToHashSet();
        foreach (var i in masked) row[i] = float.NegativeInfinity;
        var logits = Enumerable.Repeat(row, rows).SelectMany(r => r).ToArray();
        var uniforms = Enumerable.Range(0, rows).Select(r => (r + 0.5) / rows).ToArray();
        // A flat, hot distribution and a cut one whose top-k reaches into the masked tokens' zero weights.
        foreach (var settings in new[] { SamplingSettings.Sample(temperature: 5), SamplingSettings.Sample(topK: 50, topP: 0.99), SamplingSettings.GreedyDecoding })
        {
            var tokens = Sample(host, logits, uniforms, vocab, settings);
            Assert.All(tokens, token => Assert.DoesNotContain(token, masked));
            Assert.All(tokens, token => Assert.InRange(token, 0, vocab - 1));
            Assert.Equal(References(logits, uniforms, vocab, settings), tokens);
        }
    }

    [Theory, MemberData(nameof(Accelerators.Kinds), MemberType = typeof(Accelerators))]
    public void BadArgumentsAreRejected(AcceleratorKind kind)
    {
        var host = accelerators.Get(kind);
        const int rows = 3, vocab = 11;
        using var logits = host.Accelerator.Allocate1D<float>(rows * vocab);
        using var uniforms = host.Accelerator.Allocate1D<double>(rows);
        using var tokens = host.Accelerator.Allocate1D<int>(rows);
        using var shortLogits = host.Accelerator.Allocate1D<float>(rows * vocab - 1);
        using var shortUniforms = host.Accelerator.Allocate1D<double>(rows - 1);
        var plain = SamplingSettings.Sample();

        Assert.Throws<ArgumentException>(() => TokenSampling.Run(host, logits.View, uniforms.View, tokens.View, 0, plain));
        Assert.Throws<ArgumentException>(() => TokenSampling.Run(host, logits.View, uniforms.View, tokens.View, -vocab, plain));
        Assert.Contains("logits", Assert.Throws<ArgumentException>(() =>
            TokenSampling.Run(host, shortLogits.View, uniforms.View, tokens.View, vocab, plain)).Message);
        Assert.Contains("uniforms", Assert.Throws<ArgumentException>(() =>
            TokenSampling.Run(host, logits.View, shortUniforms.View, tokens.View, vocab, plain)).Message);
        foreach (var bad in new[]
        {
            SamplingSettings.Sample(temperature: 0), SamplingSettings.Sample(temperature: -1),
            SamplingSettings.Sample(temperature: double.PositiveInfinity), SamplingSettings.Sample(temperature: double.NaN),
            SamplingSettings.Sample(topP: 0), SamplingSettings.Sample(topP: 1.5), SamplingSettings.Sample(topP: double.NaN),
            SamplingSettings.Sample(minP: -0.1), SamplingSettings.Sample(minP: 1.1), SamplingSettings.Sample(topK: -1),
        })
        {
            Assert.Throws<ArgumentException>(() => TokenSampling.Run(host, logits.View, uniforms.View, tokens.View, vocab, bad));
            Assert.Throws<ArgumentException>(() => TokenSampling.Reference(new float[vocab], bad, 0.5));
        }
        Assert.Throws<ArgumentException>(() => TokenSampling.Reference([], plain, 0.5));
    }

    /// <summary>Fresh random rows of each vocabulary size, sampled on <paramref name="kind"/> and by the reference, token for token.</summary>
    private void AssertMatchesReference(AcceleratorKind kind, SamplingSettings settings, bool ties = false)
    {
        var host = accelerators.Get(kind);
        foreach (var vocab in Vocabularies)
        {
            var (logits, uniforms) = RandomRows(seed: vocab * 31 + (ties ? 1 : 0), vocab, ties: ties);
            Assert.Equal(References(logits, uniforms, vocab, settings), Sample(host, logits, uniforms, vocab, settings));
        }
    }

    /// <summary>
    /// Rows of Normal(0, 2²) logits and one u ∈ [0, 1) per row. With <paramref name="ties"/> the logits lie on a grid of
    /// step 0.5, and every other row is clipped at 2.5, so that about a tenth of its tokens tie for the top.
    /// </summary>
    private static (float[] Logits, double[] Uniforms) RandomRows(int seed, int vocab, bool ties = false, int rows = Rows)
    {
        var logits = new Inputs(seed).Normal(rows * vocab, 2);
        if (ties)
            for (int i = 0; i < logits.Length; i++)
            {
                logits[i] = MathF.Round(logits[i] * 2) / 2;
                if (i / vocab % 2 == 1) logits[i] = MathF.Min(logits[i], 2.5f);
            }
        var random = new Random(seed + 1);
        return (logits, Enumerable.Range(0, rows).Select(_ => random.NextDouble()).ToArray());
    }

    private static int[] References(float[] logits, double[] uniforms, int vocab, SamplingSettings settings) =>
        Enumerable.Range(0, uniforms.Length)
            .Select(row => TokenSampling.Reference(logits.AsSpan(row * vocab, vocab), settings, uniforms[row]))
            .ToArray();

    /// <summary>Runs the op on <paramref name="host"/>; the token buffer starts at −7, so a row never written shows.</summary>
    private static int[] Sample(AcceleratorHost host, float[] logits, double[] uniforms, int vocab, SamplingSettings settings)
    {
        using var logitsBuffer = host.Accelerator.Allocate1D(logits);
        using var uniformBuffer = host.Accelerator.Allocate1D(uniforms);
        using var tokenBuffer = host.Accelerator.Allocate1D(Enumerable.Repeat(-7, uniforms.Length).ToArray());
        TokenSampling.Run(host, logitsBuffer.View, uniformBuffer.View, tokenBuffer.View, vocab, settings);
        return tokenBuffer.GetAsArray1D();
    }
}
