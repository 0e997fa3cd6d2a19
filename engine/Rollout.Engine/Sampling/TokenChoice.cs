namespace Rollout.Engine.Sampling;

/// <summary>
/// The token chosen at one step and what the trainer needs about it.
/// <see cref="Logprob"/> is log softmax(ℓ/τ)[token], the policy before top-k/top-p/min-p truncation
/// (spec §1; τ = 1 when greedy); <see cref="RawLogprob"/> is log softmax(ℓ)[token];
/// <see cref="Entropy"/> is the entropy (nats) of softmax(ℓ/τ); <see cref="LogNormalizer"/> is log Σ_i exp(ℓ_i/τ), so that
/// log π(i) = ℓ_i/τ − LogNormalizer for every token (the step features reuse it instead of sweeping the logits again).
/// With penalties or suppressed tokens, ℓ is the penalised logits throughout. <see cref="TopLogprobs"/>: the step's
/// most likely tokens under the same softmax(ℓ/τ), most likely first, when asked for (else null).
/// </summary>
public readonly record struct TokenChoice(int TokenId, float Logprob, float RawLogprob, float Entropy, float LogNormalizer,
    TokenAlternative[]? TopLogprobs = null);
