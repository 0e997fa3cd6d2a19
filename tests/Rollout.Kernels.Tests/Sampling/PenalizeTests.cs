using ILGPU;
using ILGPU.Runtime;
using Rollout.Kernels.Runtime;
using Rollout.Kernels.Sampling;
using Rollout.Kernels.Tests.Support;

namespace Rollout.Kernels.Tests.Sampling;

public sealed class PenalizeTests(Accelerators accelerators)
{
    private static readonly SamplingSettings Penalties = SamplingSettings.Sample().WithPenalties(repetition: 2, presence: 0.5, frequency: 0.25);

    /// <summary>
    /// Repetition 2, presence 0.5, frequency 0.25. Row 0, logits [2, −1, 0.5, −3, 4, 1]: token 0 in the prompt only,
    /// 2 / 2 = 1; token 1 twice in the output, −1 · 2 − 0.25 · 2 − 0.5 = −3; token 2 in both, once, 0.5 / 2 − 0.25 − 0.5
    /// = −0.5; token 3 suppressed, −∞; token 4 not listed and token 5 listed with nothing to apply keep theirs.
    /// Row 1, the same logits: token 4 three times, 4 / 2 − 0.75 − 0.5 = 0.75. Row 2 lists nothing.
    /// </summary>
    [Theory, MemberData(nameof(Accelerators.Kinds), MemberType = typeof(Accelerators))]
    public void HandComputedCase(AcceleratorKind kind)
    {
        float[] row = [2, -1, 0.5f, -3, 4, 1];
        TokenPenalty[] penalties =
        [
            new(0, 0, inPrompt: true), new(1, 2, inPrompt: false), new(2, 1, inPrompt: true),
            new(3, 0, inPrompt: false, suppressed: true), new(5, 0, inPrompt: false),
            new(4, 3, inPrompt: false),
        ];
        int[] offsets = [0, 5, 6, 6];
        float[] expected = [1, -3, -0.5f, float.NegativeInfinity, 4, 1, 2, -1, 0.5f, -3, 0.75f, 1, 2, -1, 0.5f, -3, 4, 1];

        Assert.Equal(expected[..6], TokenSampling.PenalizeReference(row, penalties[..5], Penalties));
        Assert.Equal(expected[6..12], TokenSampling.PenalizeReference(row, penalties[5..], Penalties));
        Assert.Equal(expected, Penalize(accelerators.Get(kind), [.. row, .. row, .. row], penalties, offsets, row.Length, Penalties));
    }

    /// <summary>Random rows and histories (rows with none among them), token for token and bit for bit against the reference.</summary>
    [Theory, MemberData(nameof(Accelerators.Kinds), MemberType = typeof(Accelerators))]
    public void RandomHistoriesMatchReference(AcceleratorKind kind)
    {
        var host = accelerators.Get(kind);
        const int vocab = 1237, rows = 9;
        var inputs = new Inputs(80);
        var logits = inputs.Normal(rows * vocab, 3);
        var random = new Random(81);
        var penalties = new List<TokenPenalty>();
        var offsets = new List<int> { 0 };
        for (int row = 0; row < rows; row++)
        {
            // More listed tokens than a group has threads in some rows, none in row 3.
            int listed = row == 3 ? 0 : random.Next(1, 700);
            foreach (var token in Enumerable.Range(0, vocab).OrderBy(_ => random.Next()).Take(listed))
                penalties.Add(new TokenPenalty(token, random.Next(4), random.Next(2) == 0, random.Next(20) == 0));
            offsets.Add(penalties.Count);
        }
        foreach (var settings in new[] { Penalties, SamplingSettings.GreedyDecoding.WithPenalties(repetition: 0.7, presence: -1.5, frequency: 2) })
        {
            var expected = Enumerable.Range(0, rows).SelectMany(row => TokenSampling.PenalizeReference(
                logits.AsSpan(row * vocab, vocab), penalties.ToArray().AsSpan(offsets[row], offsets[row + 1] - offsets[row]), settings)).ToArray();
            var actual = Penalize(host, logits, [.. penalties], [.. offsets], vocab, settings);
            Assert.Equal(expected.Length, actual.Length);
            Assert.Equal(expected, actual);
            Assert.NotEqual(logits, actual); // the case changes something
        }
    }

    /// <summary>At the neutral values a listed token keeps its logit bit for bit (suppression aside): penalties off change nothing.</summary>
    [Theory, MemberData(nameof(Accelerators.Kinds), MemberType = typeof(Accelerators))]
    public void NeutralPenaltiesKeepEveryLogit(AcceleratorKind kind)
    {
        const int vocab = 301;
        var logits = new Inputs(82).Normal(vocab, 4);
        logits[7] = -0.0f;
        logits[8] = float.NegativeInfinity;
        var penalties = Enumerable.Range(0, vocab).Select(t => new TokenPenalty(t, t % 3, t % 2 == 0)).ToArray();
        var actual = Penalize(accelerators.Get(kind), logits, penalties, [0, vocab], vocab, SamplingSettings.Sample(temperature: 0.7));
        Assert.Equal(logits.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
    }

    [Theory, MemberData(nameof(Accelerators.Kinds), MemberType = typeof(Accelerators))]
    public void BadArgumentsAreRejected(AcceleratorKind kind)
    {
        var host = accelerators.Get(kind);
        const int vocab = 11;
        using var logits = host.Accelerator.Allocate1D<float>(2 * vocab);
        using var uniforms = host.Accelerator.Allocate1D<double>(2);
        using var tokens = host.Accelerator.Allocate1D<int>(2);
        TokenPenalty[] one = [new(3, 1, false)];
        Assert.Throws<ArgumentException>(() => TokenSampling.Penalize(host, logits.View, one, [0, 1, 1], 0, Penalties));
        Assert.Contains("logits", Assert.Throws<ArgumentException>(() => TokenSampling.Penalize(host, logits.View, one, [0, 1], vocab, Penalties)).Message);
        Assert.Throws<ArgumentException>(() => TokenSampling.Penalize(host, logits.View, one, [1, 1, 1], vocab, Penalties));
        Assert.Throws<ArgumentException>(() => TokenSampling.Penalize(host, logits.View, one, [0, 1, 0], vocab, Penalties));
        Assert.Throws<ArgumentException>(() => TokenSampling.Penalize(host, logits.View, [new(vocab, 1, false)], [0, 1, 1], vocab, Penalties));
        Assert.Throws<ArgumentException>(() => TokenSampling.Penalize(host, logits.View, [new(-1, 1, false)], [0, 1, 1], vocab, Penalties));
        foreach (var bad in new[]
        {
            Penalties.WithPenalties(repetition: 0), Penalties.WithPenalties(repetition: -1), Penalties.WithPenalties(repetition: double.PositiveInfinity),
            Penalties.WithPenalties(presence: double.NaN), Penalties.WithPenalties(frequency: double.NegativeInfinity),
        })
        {
            Assert.Throws<ArgumentException>(() => TokenSampling.Penalize(host, logits.View, one, [0, 1, 1], vocab, bad));
            Assert.Throws<ArgumentException>(() => TokenSampling.PenalizeReference(new float[vocab], one, bad));
            Assert.Throws<ArgumentException>(() => TokenSampling.Run(host, logits.View, uniforms.View, tokens.View, vocab, bad));
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => TokenSampling.PenalizeReference(new float[vocab], [new(vocab, 1, false)], Penalties));
    }

    private static float[] Penalize(AcceleratorHost host, float[] logits, TokenPenalty[] penalties, int[] offsets, int vocab, SamplingSettings settings)
    {
        using var buffer = host.Accelerator.Allocate1D(logits);
        TokenSampling.Penalize(host, buffer.View, penalties, offsets, vocab, settings);
        return buffer.GetAsArray1D();
    }
}
