using Rollout.Kernels.Sampling;

namespace Rollout.Engine.Sampling.Ops;

internal static class Penalties
{
    /// <summary>
    /// Rewrites the logits of the tokens a row's history lists, in place, with vLLM's definitions: a token in the prompt
    /// or the output so far is divided by the repetition penalty when its logit is positive and multiplied by it
    /// otherwise; then the frequency penalty times its output count and, when that count is positive, the presence
    /// penalty are subtracted. A suppressed token gets −∞. Float64 steps rounded once, the device kernel's
    /// (<see cref="TokenSampling.Penalize"/>) arithmetic, so host and device draw from the same logits; at the neutral
    /// values every step is exact.
    /// </summary>
    public static void Apply(Span<float> logits, ReadOnlySpan<TokenPenalty> tokens, SamplingParams p)
    {
        foreach (var token in tokens)
        {
            ref var logit = ref logits[token.TokenId];
            if (token.Suppressed)
            {
                logit = float.NegativeInfinity;
                continue;
            }
            double value = logit;
            bool seen = token.OutputCount > 0;
            if (seen || token.InPrompt) value = value > 0 ? value / p.RepetitionPenalty : value * p.RepetitionPenalty;
            value -= p.FrequencyPenalty * token.OutputCount;
            if (seen) value -= p.PresencePenalty;
            logit = (float)value;
        }
    }
}
