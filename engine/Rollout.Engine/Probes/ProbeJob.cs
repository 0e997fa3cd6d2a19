using Rollout.Engine.Model;

namespace Rollout.Engine.Probes;

/// <summary>What a probe feeds after its context: the answer cue, then the reference answer y* whose probability J measures.</summary>
internal sealed record ProbeTokens(int[] Cue, int[] Answer)
{
    public int Length => Cue.Length + Answer.Length;

    /// <summary>Cue then answer: the tokens that follow a probe's context.</summary>
    public int[] All { get; } = [.. Cue, .. Answer];
}

/// <summary>
/// One finished rollout's material for the probes: its KV cache row when kept apart (null while the rollout still
/// holds its slot) and the positions it holds (the padded prompt and at least every completion token but the last),
/// the prompt's padded mask, the completion with the policy log-probabilities the sampler reported for it, and the
/// context lengths L_0..L_K (completion tokens) after which J is measured.
/// </summary>
internal sealed record ProbeJob(KvCache? Cache, int Cached, long[] PromptMask, int[] PromptTokens, int[] Completion, float[] Logprobs,
    int[] ContextLengths, ProbeTokens Probe);
