using Rollout.Engine.Sampling;
using Rollout.Engine.Sampling.Ops;
using Rollout.Kernels.Sampling;

namespace Rollout.Engine.Tests.Sampling.Ops;

public class PenaltiesTests
{
    [Fact]
    public void Repetition_divides_positive_logits_and_multiplies_the_rest_of_tokens_in_the_prompt_or_output()
    {
        // Penalty 1.25: 2.5 / 1.25 = 2 (in the prompt), −2 · 1.25 = −2.5 (in the output), 0 · 1.25 = 0; token 3 is listed
        // with no occurrence and keeps 4, token 4 is not listed.
        float[] logits = [2.5f, -2, 0, 4, 1];
        Penalties.Apply(logits, [new(0, 0, inPrompt: true), new(1, 1, inPrompt: false), new(2, 2, inPrompt: true), new(3, 0, inPrompt: false)],
            new SamplingParams { RepetitionPenalty = 1.25 });
        Assert.Equal([2f, -2.5f, 0, 4, 1], logits);
    }

    [Fact]
    public void Presence_and_frequency_subtract_from_output_tokens_only()
    {
        // Presence 0.5, frequency 0.25: token 0 three times, 1 − 0.75 − 0.5 = −0.25; token 1 in the prompt only keeps 1;
        // token 2 once, −1 − 0.25 − 0.5 = −1.75.
        float[] logits = [1, 1, -1];
        Penalties.Apply(logits, [new(0, 3, inPrompt: false), new(1, 0, inPrompt: true), new(2, 1, inPrompt: true)],
            new SamplingParams { PresencePenalty = 0.5, FrequencyPenalty = 0.25 });
        Assert.Equal([-0.25f, 1, -1.75f], logits);
    }

    [Fact]
    public void All_three_apply_in_vllms_order_and_suppressed_tokens_get_minus_infinity()
    {
        // Repetition 2, then frequency 0.5 · 2, then presence 1: 3 / 2 − 1 − 1 = −0.5 and −3 · 2 − 1 − 1 = −8.
        float[] logits = [3, -3, 7, 0.5f];
        Penalties.Apply(logits, [new(0, 2, inPrompt: false), new(1, 2, inPrompt: true), new(2, 1, inPrompt: true, suppressed: true)],
            new SamplingParams { RepetitionPenalty = 2, PresencePenalty = 1, FrequencyPenalty = 0.5 });
        Assert.Equal([-0.5f, -8, float.NegativeInfinity, 0.5f], logits);
    }

    [Fact]
    public void Neutral_penalties_leave_every_listed_logit_bit_for_bit()
    {
        float[] logits = [0.1f, -0.0f, -7.3f, float.NegativeInfinity, 1e30f];
        var before = logits.Select(BitConverter.SingleToInt32Bits).ToArray();
        Penalties.Apply(logits, Enumerable.Range(0, 5).Select(t => new TokenPenalty(t, t, t % 2 == 0)).ToArray(), new SamplingParams());
        Assert.Equal(before, logits.Select(BitConverter.SingleToInt32Bits));
    }
}
