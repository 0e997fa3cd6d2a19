using Rollout.Engine.Sampling.Ops;

namespace Rollout.Engine.Sampling;

/// <summary>
/// Chooses one token from one row of logits: temperature → top-k → top-p → min-p → one uniform draw
/// from the renormalised survivors (HF/vLLM semantics), and reports the token's log-probabilities
/// under the untruncated policy (see <see cref="TokenChoice"/>).
/// Holds scratch buffers sized to the vocabulary, so it allocates only when the vocabulary grows;
/// not thread-safe: use one per thread.
/// </summary>
internal sealed class Sampler
{
    private double[] _weights = [];
    private int[] _candidates = [];

    public TokenChoice Sample(ReadOnlySpan<float> logits, SamplingParams p, SampleRng rng) => Choose(logits, p, rng, given: null);

    /// <summary>The statistics of a token that was not drawn here (teacher forcing): the same numbers <see cref="Sample"/> reports.</summary>
    public TokenChoice Evaluate(ReadOnlySpan<float> logits, SamplingParams p, int token)
    {
        if ((uint)token >= (uint)logits.Length) throw new ArgumentOutOfRangeException(nameof(token), $"token {token} is outside the vocabulary ({logits.Length})");
        return Choose(logits, p, rng: null, given: token);
    }

    private TokenChoice Choose(ReadOnlySpan<float> logits, SamplingParams p, SampleRng? rng, int? given)
    {
        if (logits.IsEmpty) throw new ArgumentException("empty logits row", nameof(logits));
        var vocab = logits.Length;
        if (_weights.Length < vocab)
        {
            _weights = new double[vocab];
            _candidates = new int[vocab];
        }

        var max = Softmax.Max(logits);
        var tau = p.PolicyTemperature;
        var (logZ, entropy) = Softmax.Weights(logits, max, tau, _weights.AsSpan(0, vocab));
        var rawLogZ = tau == 1.0 ? logZ : Softmax.LogSumExp(logits, max);

        var token = given ?? (p.Greedy ? Greedy.Argmax(logits) : Draw(vocab, p, rng!.NextDouble()));
        var shifted = logits[token] - (double)max;
        return new TokenChoice(token, (float)(shifted / tau - logZ), (float)(shifted - rawLogZ), (float)entropy, (float)(max / tau + logZ));
    }

    private int Draw(int vocab, SamplingParams p, double u)
    {
        var candidates = _candidates.AsSpan(0, vocab);
        for (var i = 0; i < vocab; i++) candidates[i] = i;
        var n = vocab;
        var reordered = false;
        if (p.TopK > 0 && p.TopK < n)
        {
            n = TopK.Select(_weights, candidates, p.TopK);
            reordered = true;
        }
        if (p.TopP < 1)
        {
            n = TopP.Select(_weights, candidates[..n], p.TopP);
            reordered = true;
        }
        if (p.MinP > 0) n = MinP.Select(_weights, candidates[..n], p.MinP);
        var kept = candidates[..n];
        // Draw in token-id order, so the token does not depend on how the truncations arranged the survivors.
        if (reordered) kept.Sort();
        return InverseCdf.Draw(_weights, kept, u);
    }
}
