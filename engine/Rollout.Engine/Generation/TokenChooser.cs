using Rollout.Engine.Features;
using Rollout.Engine.Model;
using Rollout.Engine.Sampling;
using Rollout.Engine.Tokenization;
using Rollout.Kernels.Sampling;

namespace Rollout.Engine.Generation;

/// <summary>
/// Samples each row's next token from a decode step (on the host, or on the kernels' device with L2T there), appends
/// it to the row and tells the listener. Both batch schedules (<see cref="PaddedBatches"/>, <see cref="SlotBatches"/>) choose through it.
/// </summary>
internal sealed class TokenChooser(TextTokenizer tokenizer, IReadOnlySet<int> eosTokenIds, int contextWindow, Action<SampledToken>? onToken)
{
    /// <summary>Samples each row's next token from its source (row, output position) in the step.</summary>
    public void Choose(List<SequenceState> rows, DecoderStep step, IReadOnlyList<(int Row, int Position)> sources, L2TRuntime? l2t,
        bool writtenInPlace = false) =>
        // With L2T every row has the same sampling settings (see Generator.SharedOptions), so the first row's stand for all.
        StepChoices.Apply(rows, step, sources, l2t, rows[0].Options.Sampling,
            (i, logits) => Sample(rows[i], logits),
            features => SampleOnDevice(rows, features, rows[0].Options.Sampling),
            (row, choice) =>
            {
                row.Append(choice, eosTokenIds, contextWindow, tokenizer);
                onToken?.Invoke(new SampledToken(row.Request, row.Sample, choice.TokenId, choice.Logprob, choice.TopLogprobs));
            },
            writtenInPlace);

    private TokenChoice Sample(SequenceState row, ReadOnlySpan<float> logits)
    {
        var penalties = row.History is { } history ? history.Entries : default;
        try { return Sampler.OfThisThread.Sample(logits, row.Options.Sampling, row.Rng, penalties, row.Options.TopLogprobs); }
        catch (NonFiniteLogitsException e) { throw NonFiniteLogits(row, e.Message); }
    }

    /// <summary>Every row's token drawn on the kernels' device, each with the uniform its own random stream gives (as <see cref="Sample"/> would draw it).</summary>
    private static TokenChoice[] SampleOnDevice(List<SequenceState> rows, StepKernels features, SamplingParams sampling)
    {
        var uniforms = rows.Select(row => sampling.Greedy ? 0 : row.Rng.NextDouble()).ToArray();
        // Requests may ask for different numbers of top logprobs: the most any row asks for, cut to each row's.
        var choices = features.SampleOnDevice(sampling, uniforms, rows.Max(row => row.Options.TopLogprobs));
        for (int i = 0; i < choices.Length; i++)
        {
            if (choices[i].TokenId == TokenSampling.InvalidRow) throw NonFiniteLogits(rows[i], "a NaN or infinite logit, or all of them −∞");
            if (choices[i].TopLogprobs is { } top && top.Length > rows[i].Options.TopLogprobs)
                choices[i] = choices[i] with { TopLogprobs = rows[i].Options.TopLogprobs == 0 ? null : top[..rows[i].Options.TopLogprobs] };
        }
        return choices;
    }

    private static InputException NonFiniteLogits(SequenceState row, string detail) =>
        new($"the model produced non-finite logits for prompt '{row.Prompt.Id}' sample {row.Sample} at completion token {row.Tokens.Count} ({detail})");
}
