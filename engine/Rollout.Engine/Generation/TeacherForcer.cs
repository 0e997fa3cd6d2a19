using Rollout.Engine.Model;
using Rollout.Engine.Prompts;
using Rollout.Engine.Sampling;
using Rollout.Engine.Tokenization;

namespace Rollout.Engine.Generation;

/// <summary>
/// Scores given completions as if they had been sampled (L2T re-ranking of best-of-n outputs): one
/// prefill of prompt + completion gives every token's logits and hidden state, hence its
/// log-probabilities and step features, and its cache feeds the answer probes; then the same
/// finishing step as sampling.
/// </summary>
internal sealed class TeacherForcer(DecoderSession session, TextTokenizer tokenizer, IReadOnlySet<int> eosTokenIds, RolloutFinisher finisher)
{

    public List<RolloutResult> Score(IReadOnlyList<GivenCompletion> completions, GenerationOptions options, L2TRuntime? l2t)
    {
        // Each completion token would need the history before it, on the device too; not done yet, so refused rather than ignored.
        if (options.Sampling.HasPenalties || options.MinNewTokens > 0)
            throw new InputException("scoring given completions applies no repetition, presence or frequency penalty and no minimum length: set them off to score");
        var rows = new List<SequenceState>(completions.Count);
        for (int c = 0; c < completions.Count; c++)
        {
            var (prompt, completion) = completions[c];
            if (completion.Length == 0) throw new InputException($"completion {c} of prompt '{prompt.Id}' has no tokens");
            int sample = rows.Count(r => r.Prompt.Id == prompt.Id);
            if (c > 0 && completions[c - 1].Prompt.Id != prompt.Id && sample > 0)
                throw new InputException($"completions of prompt '{prompt.Id}' must be consecutive (they form one group)");
            rows.Add(Force(prompt, completion, sample, options, l2t));
        }
        return finisher.Finish(rows, options, l2t);
    }

    private SequenceState Force(EncodedPrompt prompt, int[] completion, int sample, GenerationOptions options, L2TRuntime? l2t)
    {
        var probe = l2t != null && prompt.Answer is { } answer ? l2t.Tokenize(tokenizer, answer) : null;
        int length = prompt.TokenIds.Length + completion.Length;
        if (length + (probe?.Length ?? 0) > session.Config.MaxPositions)
            throw new InputException($"prompt '{prompt.Id}' with its completion {sample} has {length} tokens (plus {probe?.Length ?? 0} for the answer probe); the context window is {session.Config.MaxPositions}");

        var ids = prompt.TokenIds.Concat(completion).Select(t => (long)t).ToArray();
        var mask = Enumerable.Repeat(1L, length).ToArray();
        var positions = Enumerable.Range(0, length).Select(i => (long)i).ToArray();
        var row = new SequenceState(prompt, sample, mask[..prompt.TokenIds.Length], options with { MaxNewTokens = completion.Length }, probe);
        // A fused graph writes the keys into a buffer of the sequence's length (kept for the probes); an Optimum-layout one returns them.
        var past = session.Signature.SharesKvBuffer ? KvCache.Buffer(session.Signature, session.KvMemory, 1, length) : KvCache.Empty(session.Signature, 1);
        // Logits only where a completion token is predicted: from the prompt's last position on.
        var predicting = Enumerable.Range(prompt.TokenIds.Length - 1, completion.Length).Select(p => (long)p).ToArray();
        using var step = session.Run(ids, mask, positions, length, past, withHiddenStates: l2t != null, outputPositions: predicting);
        var cache = step.Present ?? past;
        if (step.Present != null) past.Dispose();
        var entries = Enumerable.Repeat(row, completion.Length).ToList();
        var sources = Enumerable.Range(0, completion.Length).Select(t => (0, t)).ToList();
        StepChoices.Apply(entries, step, sources, l2t, options.Sampling,
            (t, logits) => Sampler.OfThisThread.Evaluate(logits, options.Sampling, completion[t], options.TopLogprobs),
            features => features.EvaluateOnDevice(completion, options.Sampling, options.TopLogprobs),
            (state, choice) => state.Append(choice, eosTokenIds, session.Config.MaxPositions, tokenizer));
        if (probe != null) row.Retained = cache;
        else cache.Dispose();
        return row;
    }
}
