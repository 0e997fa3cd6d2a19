using Rollout.Engine.Generation;
using Rollout.Engine.Sampling;

namespace Rollout.Engine.Tests.Sampling;

public class TokenHistoryTests
{
    private static readonly HashSet<int> Eos = [9];

    private static string[] Listed(TokenHistory history) =>
        history.Entries.ToArray().OrderBy(e => e.TokenId).Select(e => e.ToString()).ToArray();

    [Fact]
    public void Nothing_is_kept_when_no_penalty_and_no_minimum_apply()
    {
        Assert.Null(TokenHistory.For([1, 2], new GenerationOptions(), Eos));
    }

    [Fact]
    public void The_prompt_is_listed_for_a_repetition_penalty_and_output_tokens_are_counted()
    {
        var history = TokenHistory.For([5, 6, 5], new GenerationOptions { Sampling = new SamplingParams { RepetitionPenalty = 1.2 } }, Eos)!;
        Assert.Equal(["5: 0×, in prompt", "6: 0×, in prompt"], Listed(history));
        foreach (var token in new[] { 6, 7, 7 }) history.Append(token);
        Assert.Equal(["5: 0×, in prompt", "6: 1×, in prompt", "7: 2×"], Listed(history));
    }

    [Fact]
    public void Presence_and_frequency_count_the_output_alone()
    {
        var history = TokenHistory.For([5, 6], new GenerationOptions { Sampling = new SamplingParams { PresencePenalty = 0.1 } }, Eos)!;
        Assert.True(history.Entries.IsEmpty);
        history.Append(6);
        Assert.Equal(["6: 1×"], Listed(history));
    }

    [Fact]
    public void Eos_and_stop_ids_are_suppressed_until_the_minimum_and_then_released()
    {
        var options = new GenerationOptions { MinNewTokens = 2, StopTokenIds = [4], Sampling = new SamplingParams { FrequencyPenalty = 0.3 } };
        var history = TokenHistory.For([1], options, Eos)!;
        Assert.Equal(["4: 0×, suppressed", "9: 0×, suppressed"], Listed(history));
        history.Append(3);
        Assert.Equal(["3: 1×", "4: 0×, suppressed", "9: 0×, suppressed"], Listed(history));
        history.Append(3);
        Assert.Equal(["3: 2×"], Listed(history));

        // Ignoring EOS leaves it drawable; without a penalty, nothing is left once the minimum is reached.
        var ignoring = TokenHistory.For([1], new GenerationOptions { MinNewTokens = 1, StopTokenIds = [4], IgnoreEos = true }, Eos)!;
        Assert.Equal(["4: 0×, suppressed"], Listed(ignoring));
        ignoring.Append(2);
        Assert.True(ignoring.Entries.IsEmpty);
    }
}
