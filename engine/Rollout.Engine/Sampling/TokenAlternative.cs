namespace Rollout.Engine.Sampling;

/// <summary>One of a step's most likely tokens (vLLM's top logprobs): its id and log-probability under the same policy as <see cref="TokenChoice.Logprob"/>.</summary>
public readonly record struct TokenAlternative(int TokenId, float Logprob);
