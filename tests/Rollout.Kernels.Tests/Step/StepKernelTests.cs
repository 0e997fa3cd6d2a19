using Rollout.Kernels.Runtime;
using Rollout.Kernels.Step;
using Rollout.Kernels.Tests.Support;

namespace Rollout.Kernels.Tests.Step;

public sealed class StepKernelTests(Accelerators accelerators)
{
    // Odd sizes: a vocabulary that is no multiple of any group size, a rank that is no power of two.
    private const int Rows = 5, Vocab = 1237, Width = 23, Rank = 7;
    private const float Temperature = 0.7f;

    [Theory, MemberData(nameof(Accelerators.Kinds), MemberType = typeof(Accelerators))]
    public void SoftmaxStatisticsMatchReference(AcceleratorKind kind)
    {
        var host = accelerators.Get(kind);
        var inputs = new Inputs(11);
        var logits = inputs.Normal(Rows * Vocab, 3);
        var tokens = inputs.Integers(Rows, Vocab);
        using var logitsBuffer = host.Accelerator.Allocate1D(logits);
        using var tokensBuffer = host.Accelerator.Allocate1D(tokens);
        var poison = new StepStatistics { Max = float.NaN, LogSumExp = float.NaN, LogProb = float.NaN, RawLogProb = float.NaN, Entropy = float.NaN };
        using var statsBuffer = host.Accelerator.Allocate1D(Enumerable.Repeat(poison, Rows).ToArray());

        SoftmaxStatistics.Run(host, logitsBuffer.View, tokensBuffer.View, statsBuffer.View, Vocab, Temperature);

        var actual = statsBuffer.GetAsArray1D();
        var reference = SoftmaxStatistics.Reference(logits, tokens, Vocab, Temperature);
        Close.Assert(reference.Select(s => s.Max).ToArray(), actual.Select(s => s.Max).ToArray(), "max");
        Close.Assert(reference.Select(s => s.LogSumExp).ToArray(), actual.Select(s => s.LogSumExp).ToArray(), "logsumexp");
        Close.Assert(reference.Select(s => s.LogProb).ToArray(), actual.Select(s => s.LogProb).ToArray(), "logprob");
        Close.Assert(reference.Select(s => s.RawLogProb).ToArray(), actual.Select(s => s.RawLogProb).ToArray(), "raw logprob");
        Close.Assert(reference.Select(s => s.Entropy).ToArray(), actual.Select(s => s.Entropy).ToArray(), "entropy");
    }

    [Theory, MemberData(nameof(Accelerators.Kinds), MemberType = typeof(Accelerators))]
    public void ScoreProjectionMatchesReference(AcceleratorKind kind)
    {
        var (logits, tokens, vocabBasis, _, u) = RunStatisticsAndScore(accelerators.Get(kind), seed: 12, logitScale: 2);
        Close.Assert(ScoreProjection.Reference(logits, tokens, vocabBasis, Vocab, Rank, Temperature), u, "u");
    }

    [Theory, MemberData(nameof(Accelerators.Kinds), MemberType = typeof(Accelerators))]
    public void WidelySpreadLogitsMatchReference(AcceleratorKind kind)
    {
        // Logits hundreds apart: most exp(ℓ/τ − max) underflow float32, where the managed path flushes them to 0.
        var (logits, tokens, vocabBasis, actual, u) = RunStatisticsAndScore(accelerators.Get(kind), seed: 15, logitScale: 60);
        var reference = SoftmaxStatistics.Reference(logits, tokens, Vocab, Temperature);
        Close.Assert(reference.Select(s => s.LogSumExp).ToArray(), actual.Select(s => s.LogSumExp).ToArray(), "logsumexp");
        Close.Assert(reference.Select(s => s.RawLogProb).ToArray(), actual.Select(s => s.RawLogProb).ToArray(), "raw logprob");
        Close.Assert(reference.Select(s => s.Entropy).ToArray(), actual.Select(s => s.Entropy).ToArray(), "entropy");
        Close.Assert(ScoreProjection.Reference(logits, tokens, vocabBasis, Vocab, Rank, Temperature), u, "u");
    }

    /// <summary>
    /// Masked tokens (−∞, as penalties and a minimum length make them) have probability 0: a row's statistics are those
    /// of the row without them, u included (each row's last token stays finite, so the sampled one can be it).
    /// </summary>
    [Theory, MemberData(nameof(Accelerators.Kinds), MemberType = typeof(Accelerators))]
    public void MaskedTokensCountAsAbsent(AcceleratorKind kind)
    {
        var host = accelerators.Get(kind);
        var inputs = new Inputs(16);
        var logits = inputs.Normal(Rows * Vocab, 2);
        var masked = Enumerable.Range(0, Vocab - 1).Where(i => i % 3 == 0).ToHashSet();
        for (int row = 0; row < Rows; row++)
            foreach (var i in masked) logits[row * Vocab + i] = float.NegativeInfinity;
        int[] tokens = Enumerable.Repeat(Vocab - 1, Rows).ToArray();
        var vocabBasis = inputs.Normal(Rank * Vocab);
        using var logitsBuffer = host.Accelerator.Allocate1D(logits);
        using var tokensBuffer = host.Accelerator.Allocate1D(tokens);
        using var statsBuffer = host.Accelerator.Allocate1D<StepStatistics>(Rows);
        using var factorBuffer = host.Accelerator.Allocate1D(vocabBasis);
        using var u = Inputs.Poisoned(host.Accelerator, Rows * Rank);
        SoftmaxStatistics.Run(host, logitsBuffer.View, tokensBuffer.View, statsBuffer.View, Vocab, Temperature);
        ScoreProjection.Run(host, logitsBuffer.View, tokensBuffer.View, statsBuffer.View, factorBuffer.View, u.View, Vocab, Rank, Temperature);
        var actual = statsBuffer.GetAsArray1D();

        // The same rows with the masked tokens left out, and the basis's columns with them.
        var kept = Enumerable.Range(0, Vocab).Where(i => !masked.Contains(i)).ToArray();
        var shortLogits = Enumerable.Range(0, Rows).SelectMany(row => kept.Select(i => logits[row * Vocab + i])).ToArray();
        var shortBasis = Enumerable.Range(0, Rank).SelectMany(a => kept.Select(i => vocabBasis[a * Vocab + i])).ToArray();
        var shortTokens = Enumerable.Repeat(kept.Length - 1, Rows).ToArray();
        var reference = SoftmaxStatistics.Reference(shortLogits, shortTokens, kept.Length, Temperature);
        Assert.All(actual, s => Assert.True(float.IsFinite(s.Entropy) && float.IsFinite(s.LogProb)));
        Close.Assert(reference.Select(s => s.LogSumExp).ToArray(), actual.Select(s => s.LogSumExp).ToArray(), "logsumexp");
        Close.Assert(reference.Select(s => s.LogProb).ToArray(), actual.Select(s => s.LogProb).ToArray(), "logprob");
        Close.Assert(reference.Select(s => s.Entropy).ToArray(), actual.Select(s => s.Entropy).ToArray(), "entropy");
        Close.Assert(ScoreProjection.Reference(shortLogits, shortTokens, shortBasis, kept.Length, Rank, Temperature), u.GetAsArray1D(), "u");
    }

    /// <summary>Softmax statistics then u on fresh random rows (logits drawn with the given spread); returns inputs and both outputs.</summary>
    private static (float[] Logits, int[] Tokens, float[] VocabBasis, StepStatistics[] Statistics, float[] U) RunStatisticsAndScore(
        AcceleratorHost host, int seed, double logitScale)
    {
        var inputs = new Inputs(seed);
        var logits = inputs.Normal(Rows * Vocab, logitScale);
        var tokens = inputs.Integers(Rows, Vocab);
        var vocabBasis = inputs.Normal(Vocab * Rank, 0.05);
        using var logitsBuffer = host.Accelerator.Allocate1D(logits);
        using var tokensBuffer = host.Accelerator.Allocate1D(tokens);
        using var factorBuffer = host.Accelerator.Allocate1D(vocabBasis);
        using var statsBuffer = host.Accelerator.Allocate1D<StepStatistics>(Rows);
        using var u = Inputs.Poisoned(host.Accelerator, Rows * Rank);

        SoftmaxStatistics.Run(host, logitsBuffer.View, tokensBuffer.View, statsBuffer.View, Vocab, Temperature);
        ScoreProjection.Run(host, logitsBuffer.View, tokensBuffer.View, statsBuffer.View, factorBuffer.View, u.View, Vocab, Rank, Temperature);
        return (logits, tokens, vocabBasis, statsBuffer.GetAsArray1D(), u.GetAsArray1D());
    }

    [Theory, MemberData(nameof(Accelerators.Kinds), MemberType = typeof(Accelerators))]
    public void HiddenProjectionMatchesReference(AcceleratorKind kind)
    {
        var host = accelerators.Get(kind);
        var inputs = new Inputs(13);
        var hidden = inputs.Normal(Rows * Width);
        var hiddenBasis = inputs.Normal(Width * Rank, 0.2);
        using var hiddenBuffer = host.Accelerator.Allocate1D(hidden);
        using var factorBuffer = host.Accelerator.Allocate1D(hiddenBasis);
        using var v = Inputs.Poisoned(host.Accelerator, Rows * Rank);

        HiddenProjection.Run(host, hiddenBuffer.View, factorBuffer.View, v.View, Width, Rank);

        Close.Assert(HiddenProjection.Reference(hidden, hiddenBasis, Width, Rank), v.GetAsArray1D(), "v");
    }

    [Theory, MemberData(nameof(Accelerators.Kinds), MemberType = typeof(Accelerators))]
    public void HeadCoreShiftMatchesReference(AcceleratorKind kind)
    {
        var host = accelerators.Get(kind);
        var inputs = new Inputs(14);
        var logits = inputs.Normal(Rows * Vocab, 2);
        var v = inputs.Normal(Rows * Rank);
        var vocabBasis = inputs.Normal(Vocab * Rank, 0.05);
        var core = inputs.Normal(Rank * Rank, 0.5);
        using var logitsBuffer = host.Accelerator.Allocate1D(logits);
        using var vBuffer = host.Accelerator.Allocate1D(v);
        using var factorBuffer = host.Accelerator.Allocate1D(vocabBasis);
        using var coreBuffer = host.Accelerator.Allocate1D(core);
        using var shift = Inputs.Poisoned(host.Accelerator, Rows * Rank);

        HeadCoreShift.Run(host, logitsBuffer.View, vBuffer.View, factorBuffer.View, coreBuffer.View, shift.View, Vocab, Rank);

        Close.Assert(HeadCoreShift.Reference(logits, v, vocabBasis, core, Vocab, Rank), logitsBuffer.GetAsArray1D(), "shifted logits");
    }

    [Theory, MemberData(nameof(Accelerators.Kinds), MemberType = typeof(Accelerators))]
    public void MismatchedShapesAreRejected(AcceleratorKind kind)
    {
        var host = accelerators.Get(kind);
        using var logits = host.Accelerator.Allocate1D<float>(Rows * Vocab - 1);
        using var tokens = host.Accelerator.Allocate1D<int>(Rows);
        using var stats = host.Accelerator.Allocate1D<StepStatistics>(Rows);
        var error = Assert.Throws<ArgumentException>(() =>
            SoftmaxStatistics.Run(host, logits.View, tokens.View, stats.View, Vocab, Temperature));
        Assert.Contains("logits", error.Message);
        Assert.Throws<ArgumentException>(() =>
            SoftmaxStatistics.Run(host, logits.View, tokens.View, stats.View, Vocab, 0f));
    }
}
