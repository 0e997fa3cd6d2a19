using Rollout.Engine.Sampling.Ops;
using Rollout.Kernels.Sampling;

namespace Rollout.Engine.Sampling;

/// <summary>
/// Chooses one token from one row of logits: the row's penalties → temperature → top-k → top-p → min-p → one uniform
/// draw from the renormalised survivors (HF/vLLM semantics), and reports the token's log-probabilities under the
/// untruncated, penalised policy (see <see cref="TokenChoice"/>), with its most likely alternatives when asked.
/// Holds scratch buffers sized to the vocabulary, so it allocates only when the vocabulary grows;
/// not thread-safe: use one per thread (<see cref="OfThisThread"/>).
/// </summary>
internal sealed class Sampler
{
    [ThreadStatic] private static Sampler? _ofThisThread;

    /// <summary>This thread's sampler, so rows can be sampled on several threads at once.</summary>
    public static Sampler OfThisThread => _ofThisThread ??= new Sampler();

    private double[] _weights = [];
    private int[] _candidates = [];
    private float[] _penalized = [];

    /// <param name="penalties">The row's history (<see cref="TokenHistory"/>), applied before anything else; empty when no penalty applies.</param>
    /// <param name="topLogprobs">How many of the most likely tokens to report with the choice; 0 = none.</param>
    public TokenChoice Sample(ReadOnlySpan<float> logits, SamplingParams p, SampleRng rng, ReadOnlySpan<TokenPenalty> penalties = default, int topLogprobs = 0) =>
        Choose(logits, p, rng, given: null, penalties, topLogprobs);

    /// <summary>The statistics of a token that was not drawn here (teacher forcing): the same numbers <see cref="Sample"/> reports.</summary>
    public TokenChoice Evaluate(ReadOnlySpan<float> logits, SamplingParams p, int token, int topLogprobs = 0)
    {
        if ((uint)token >= (uint)logits.Length) throw new ArgumentOutOfRangeException(nameof(token), $"token {token} is outside the vocabulary ({logits.Length})");
        return Choose(logits, p, rng: null, given: token, penalties: default, topLogprobs);
    }

    private TokenChoice Choose(ReadOnlySpan<float> logits, SamplingParams p, SampleRng? rng, int? given, ReadOnlySpan<TokenPenalty> penalties, int topLogprobs)
    {
        if (logits.IsEmpty) throw new ArgumentException("empty logits row", nameof(logits));
        var vocab = logits.Length;
        if (_weights.Length < vocab)
        {
            _weights = new double[vocab];
            _candidates = new int[vocab];
        }
        if (!penalties.IsEmpty)
        {
            // Penalties change the policy, so everything below (draw and statistics) reads the penalised row: a copy,
            // since the row may be the model's output, which others read too.
            if (_penalized.Length < vocab) _penalized = new float[vocab];
            var penalized = _penalized.AsSpan(0, vocab);
            logits.CopyTo(penalized);
            Penalties.Apply(penalized, penalties, p);
            logits = penalized;
        }

        var tau = p.PolicyTemperature;
        bool draws = given == null && !p.Greedy;
        float max;
        int argMax;
        double logZ, entropy, rawLogZ;
        // A draw needs every weight: the max (and arg max) first, then the weights and normalisers. Otherwise one read.
        if (draws)
        {
            (max, argMax) = Softmax.Max(logits);
            (logZ, entropy, rawLogZ) = Softmax.Weights(logits, max, tau, _weights.AsSpan(0, vocab));
        }
        else (max, argMax, logZ, entropy, rawLogZ) = Softmax.Statistics(logits, tau);

        var token = given ?? (draws ? Draw(vocab, p, rng!.NextDouble()) : argMax);
        var shifted = logits[token] - (double)max;
        return new TokenChoice(token, (float)(shifted / tau - logZ), (float)(shifted - rawLogZ), (float)entropy, (float)(max / tau + logZ),
            topLogprobs > 0 ? Alternatives(logits, topLogprobs, max, tau, logZ) : null);
    }

    /// <summary>The most likely tokens, with log-probabilities computed as the chosen token's is (so its own entry equals its logprob).</summary>
    private static TokenAlternative[] Alternatives(ReadOnlySpan<float> logits, int count, float max, double tau, double logZ)
    {
        var best = new int[Math.Min(count, logits.Length)];
        MostLikely.Select(logits, best);
        var alternatives = new TokenAlternative[best.Length];
        for (int j = 0; j < best.Length; j++)
            alternatives[j] = new TokenAlternative(best[j], (float)((logits[best[j]] - (double)max) / tau - logZ));
        return alternatives;
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
