using Rollout.Kernels.Sampling;

namespace Rollout.Kernels.Bench.Sampling;

/// <summary>Token sampling over 64 rows of V = 151936 logits: the draw, greedy, the history penalties and the top logprobs.</summary>
public class SamplingBenchmarks : KernelBenchmark
{
    /// <summary>Tokens each row's history lists for the penalties (prompt and output so far).</summary>
    private const int Listed = 256;

    /// <summary>Top logprobs per row: vLLM's largest k.</summary>
    private const int TopK = 20;

    /// <summary>The README's sampling settings.</summary>
    private static readonly SamplingSettings Draw = SamplingSettings.Sample(temperature: 0.8, topP: 0.95);

    // Every listed token has been output, so the penalties drive its logit down, never into denormals, however often they apply.
    private static readonly SamplingSettings Penalties = Draw.WithPenalties(repetition: 1.1, presence: 0.5, frequency: 0.25);

    private ArrayView<float> logits, topValues;
    private ArrayView<double> uniforms;
    private ArrayView<int> tokens, topIds;
    private TokenPenalty[] history = [];
    private int[] offsets = [];

    protected override void Allocate()
    {
        logits = Uniform((long)Rows * Vocab, 8);
        uniforms = Upload(Enumerable.Range(0, Rows).Select(_ => Random.NextDouble()).ToArray());
        tokens = Zeros<int>(Rows);
        topIds = Zeros<int>(Rows * TopK);
        topValues = Zeros<float>(Rows * TopK);
        // One token from each of Listed equal stretches of the vocabulary: distinct, and spread over the row as a history's are.
        const int stretch = Vocab / Listed;
        history = Enumerable.Range(0, Rows * Listed).Select(j => new TokenPenalty(
            j % Listed * stretch + Random.Next(stretch), 1 + Random.Next(3), inPrompt: Random.Next(2) == 0)).ToArray();
        offsets = Enumerable.Range(0, Rows + 1).Select(row => row * Listed).ToArray();
    }

    // Reads ℓ (rows × V) and one uniform a row; writes one token a row.
    [Benchmark(Description = "sample (τ 0.8, top-p 0.95)"), Traffic(F * Rows * Vocab + D * Rows + I * Rows)]
    public void Sample()
    {
        TokenSampling.Run(Host, logits, uniforms, tokens, Vocab, Draw);
        Synchronize();
    }

    // Reads ℓ (rows × V); writes one token a row (the uniforms are not read).
    [Benchmark(Description = "greedy"), Traffic(F * Rows * Vocab + I * Rows)]
    public void Greedy()
    {
        TokenSampling.Run(Host, logits, uniforms, tokens, Vocab, SamplingSettings.GreedyDecoding);
        Synchronize();
    }

    // Reads the history (a TokenPenalty is four ints) and the row offsets; reads and writes each listed logit.
    [Benchmark(Description = "penalties (256 tokens a row)"), Traffic(Rows * Listed * (4 * I + 2 * F) + I * (Rows + 1))]
    public void Penalize()
    {
        TokenSampling.Penalize(Host, logits, history, offsets, Vocab, Penalties);
        Synchronize();
    }

    // Reads ℓ (rows × V); writes k ids and k logits a row.
    [Benchmark(Description = "top-20 logits"), Traffic(F * Rows * Vocab + Rows * TopK * (I + F))]
    public void TopLogits()
    {
        TokenSampling.TopLogits(Host, logits, topIds, topValues, Vocab, TopK);
        Synchronize();
    }
}
