using ILGPU;
using ILGPU.Runtime;
using Rollout.Engine.Sampling;
using Rollout.Engine.Sampling.Ops;
using Rollout.Kernels.Runtime;
using Rollout.Kernels.Sampling;

namespace Rollout.Engine.Tests.Sampling;

/// <summary>
/// The sampling kernels (TokenSampling) against the host pipeline's ops, on every accelerator here (the managed path,
/// ILGPU's CPU accelerator, CUDA when present): one semantics wherever a token is drawn.
/// </summary>
public class DeviceParityTests
{
    public static TheoryData<AcceleratorKind> Kinds => new(AcceleratorHost.Available());

    private const int Vocab = 613, Rows = 6;

    /// <summary>Random rows with a coarse grid (ties) and random histories: a listed token in every other slot of some rows, none in row 2.</summary>
    private static (float[] Logits, TokenPenalty[][] Histories) RandomRows(int seed)
    {
        var random = new Random(seed);
        var logits = Enumerable.Range(0, Rows * Vocab).Select(_ => (float)Math.Round(random.NextDouble() * 10 - 5, 1)).ToArray();
        var histories = Enumerable.Range(0, Rows).Select(row => row == 2 ? [] : Enumerable.Range(0, Vocab).OrderBy(_ => random.Next()).Take(random.Next(1, 400))
            .Select(t => new TokenPenalty(t, random.Next(3), random.Next(2) == 0, random.Next(30) == 0)).ToArray()).ToArray();
        return (logits, histories);
    }

    [Theory, MemberData(nameof(Kinds))]
    public void The_penalty_kernel_gives_the_host_ops_logits_bit_for_bit_and_then_the_same_tokens(AcceleratorKind kind)
    {
        using var host = AcceleratorHost.Create(kind);
        var (logits, histories) = RandomRows(seed: 12);
        foreach (var p in new[]
        {
            new SamplingParams { Temperature = 0.8, TopK = 50, TopP = 0.9, RepetitionPenalty = 1.3, PresencePenalty = 0.4, FrequencyPenalty = 0.2 },
            new SamplingParams { Greedy = true, RepetitionPenalty = 0.8, PresencePenalty = -0.5, FrequencyPenalty = 1.5 },
        })
        {
            var expected = (float[])logits.Clone();
            for (int row = 0; row < Rows; row++) Penalties.Apply(expected.AsSpan(row * Vocab, Vocab), histories[row], p);

            using var buffer = host.Accelerator.Allocate1D(logits);
            int[] offsets = [0, .. histories.Select(h => h.Length)];
            for (int row = 0; row < Rows; row++) offsets[row + 1] += offsets[row];
            TokenSampling.Penalize(host, buffer.View, histories.SelectMany(h => h).ToArray(), offsets, Vocab, p.ToSettings());
            var actual = buffer.GetAsArray1D();
            Assert.Equal(expected.Length, actual.Length);
            Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
            Assert.NotEqual(logits, actual);

            // The host sampler applying each history itself draws what the sampling kernel draws from the penalised rows.
            var uniforms = Enumerable.Range(0, Rows).Select(row => new SampleRng(8, "parity", row).NextDouble()).ToArray();
            using var uniformBuffer = host.Accelerator.Allocate1D(uniforms);
            using var tokens = host.Accelerator.Allocate1D<int>(Rows);
            TokenSampling.Run(host, buffer.View, uniformBuffer.View, tokens.View, Vocab, p.ToSettings());
            var sampler = new Sampler();
            var hostTokens = Enumerable.Range(0, Rows)
                .Select(row => sampler.Sample(logits.AsSpan(row * Vocab, Vocab), p, new SampleRng(8, "parity", row), histories[row]).TokenId).ToArray();
            Assert.Equal(hostTokens, tokens.GetAsArray1D());
        }
    }

    [Theory, MemberData(nameof(Kinds))]
    public void The_top_logits_kernel_lists_the_tokens_the_host_op_lists(AcceleratorKind kind)
    {
        using var host = AcceleratorHost.Create(kind);
        var (logits, _) = RandomRows(seed: 13);
        const int k = 20;
        using var buffer = host.Accelerator.Allocate1D(logits);
        using var ids = host.Accelerator.Allocate1D<int>(Rows * k);
        using var values = host.Accelerator.Allocate1D<float>(Rows * k);
        TokenSampling.TopLogits(host, buffer.View, ids.View, values.View, Vocab, k);
        var expected = new int[Rows * k];
        for (int row = 0; row < Rows; row++) MostLikely.Select(logits.AsSpan(row * Vocab, Vocab), expected.AsSpan(row * k, k));
        Assert.Equal(expected, ids.GetAsArray1D());
        Assert.Equal(expected.Select((id, j) => logits[j / k * Vocab + id]), values.GetAsArray1D());
    }
}
