using Rollout.Engine;
using Rollout.Engine.Model;

namespace Rollout.Models.Training.Policy;

/// <summary>Packs policy samples for the trainer: each prompt as given, then its completion, each completion token weighted by its advantage.</summary>
public static class PolicyBatch
{
    public static TokenBatch Pack(IReadOnlyList<PolicySample> samples, ModelConfig config)
    {
        var batch = new TokenBatch(samples.Select((s, i) => Sequence(s, i, config)).ToList());
        if (batch.TargetCount == 0) throw new InputException("full update: the batch has no completion tokens");
        return batch;
    }

    private static TrainingSequence Sequence(PolicySample s, int index, ModelConfig config)
    {
        // The first completion token is predicted from the prompt's last position, so a prompt needs one token at least.
        if (s.PromptTokenIds.Length == 0) throw new InputException($"full update: sample {index} has an empty prompt");
        if (s.Advantages.Length != s.CompletionTokenIds.Length)
            throw new InputException($"full update: sample {index} has {s.CompletionTokenIds.Length} completion tokens and {s.Advantages.Length} advantages");
        if (s.Advantages.Any(a => !float.IsFinite(a))) throw new InputException($"full update: sample {index} has a non-finite advantage");
        int[] tokens = [.. s.PromptTokenIds, .. s.CompletionTokenIds];
        if (tokens.Length > config.MaxPositions)
            throw new InputException($"full update: sample {index} has {tokens.Length} tokens, more than the model's {config.MaxPositions} positions");
        if (tokens.Any(t => t < 0 || t >= config.VocabSize))
            throw new InputException($"full update: sample {index} has a token id outside the vocabulary [0, {config.VocabSize})");
        return new TrainingSequence(tokens, s.PromptTokenIds.Length, s.Advantages);
    }
}
