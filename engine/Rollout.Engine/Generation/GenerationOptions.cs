using Rollout.Engine.Episodes;
using Rollout.Engine.Sampling;

namespace Rollout.Engine.Generation;

/// <summary>What to generate for each prompt. Defaults follow HF generate / vLLM where they agree.</summary>
public sealed record GenerationOptions
{
    /// <summary>Samples per prompt (GRPO's group size); they share one prefill.</summary>
    public int SamplesPerPrompt { get; init; } = 1;
    public int MaxNewTokens { get; init; } = 256;
    /// <summary>
    /// Until a rollout has this many tokens, EOS (unless <see cref="IgnoreEos"/>) and the stop token ids get −∞ logits
    /// (HF's min_new_tokens; vLLM's min_tokens), so they are not drawn and the logprobs reported are of that
    /// distribution; 0 = off. Stop strings and the context window still end a rollout, as HF's stopping criteria do.
    /// </summary>
    public int MinNewTokens { get; init; }
    public SamplingParams Sampling { get; init; } = new();
    /// <summary>With the prompt id and sample index, fixes every draw of a rollout, whatever else is in the batch.</summary>
    public ulong Seed { get; init; }
    public IReadOnlyList<string> StopStrings { get; init; } = [];
    public IReadOnlyList<int> StopTokenIds { get; init; } = [];
    /// <summary>Keep going past EOS until the token budget (vLLM's ignore_eos), for equal-work benchmarks.</summary>
    public bool IgnoreEos { get; init; }
    public EpisodeSpec Episodes { get; init; } = EpisodeSpec.Parse("tags");
    /// <summary>Sequences decoded together; a prompt's samples are never split across batches.</summary>
    public int BatchSize { get; init; } = 16;
    /// <summary>Record each token's K most likely alternatives with their log-probabilities (vLLM's logprobs=K; at most 20), under the same policy as the token's own; 0 = off.</summary>
    public int TopLogprobs { get; init; }
    /// <summary>L2T scoring of every rollout; null generates without it.</summary>
    public L2TGeneration? L2T { get; init; }

    /// <summary>The most alternatives <see cref="TopLogprobs"/> may ask for (vLLM's default limit).</summary>
    public const int MaxTopLogprobs = 20;

    /// <summary>
    /// The largest group: memory does not grow with n (groups are decoded in chunks), but the batch plan and, with L2T,
    /// the group's scoring do, and a group this large is a mistake more often than a plan.
    /// </summary>
    public const int MaxSamplesPerPrompt = 1 << 20;

    /// <summary>The checks that need no model; <see cref="ValidateFor"/> adds those that need its vocabulary.</summary>
    public void Validate()
    {
        if (SamplesPerPrompt < 1) throw InputException.ForSetting(nameof(SamplesPerPrompt), $"must be at least 1 (got {SamplesPerPrompt})");
        if (SamplesPerPrompt > MaxSamplesPerPrompt)
            throw InputException.ForSetting(nameof(SamplesPerPrompt), $"must be at most {MaxSamplesPerPrompt} (got {SamplesPerPrompt}); run more prompts instead");
        if (MaxNewTokens < 1) throw InputException.ForSetting(nameof(MaxNewTokens), $"must be at least 1 (got {MaxNewTokens})");
        if (MinNewTokens < 0 || MinNewTokens > MaxNewTokens)
            throw InputException.ForSetting(nameof(MinNewTokens), $"must be between 0 (off) and the token budget {MaxNewTokens} (got {MinNewTokens})");
        if (TopLogprobs < 0 || TopLogprobs > MaxTopLogprobs)
            throw InputException.ForSetting(nameof(TopLogprobs), $"must be between 0 (off) and {MaxTopLogprobs} (got {TopLogprobs})");
        if (BatchSize < 1) throw InputException.ForSetting(nameof(BatchSize), $"must be at least 1 (got {BatchSize})");
        if (StopStrings.Any(string.IsNullOrEmpty)) throw InputException.ForSetting(nameof(StopStrings), ": a stop string cannot be empty");
        if (StopTokenIds.Where(id => id < 0).Select(id => (int?)id).FirstOrDefault() is int negative)
            throw InputException.ForSetting(nameof(StopTokenIds), $"{negative}: a token id cannot be negative");
        Sampling.Validate();
        L2T?.Validate();
    }

    /// <summary><see cref="Validate"/>, and stop token ids inside <paramref name="model"/>'s vocabulary.</summary>
    public void ValidateFor(Model.ModelFolder model)
    {
        Validate();
        int vocab = model.Config.VocabSize;
        if (StopTokenIds.Where(id => id >= vocab).Select(id => (int?)id).FirstOrDefault() is int outside)
            throw InputException.ForSetting(nameof(StopTokenIds), $"{outside}: not a token id of {model.Path} (its vocabulary has {vocab} tokens, 0..{vocab - 1})");
    }
}
