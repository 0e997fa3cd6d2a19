using Rollout.Engine.Generation;
using Rollout.Engine.Sampling;

namespace Rollout.Engine.Tests.Sampling;

public class SamplingParamsTests
{
    public static TheoryData<SamplingParams, string> Invalid => new()
    {
        { new SamplingParams { Temperature = 0 }, nameof(SamplingParams.Temperature) },
        { new SamplingParams { Temperature = double.NaN }, nameof(SamplingParams.Temperature) },
        { new SamplingParams { TopK = -1 }, nameof(SamplingParams.TopK) },
        { new SamplingParams { TopP = 0 }, nameof(SamplingParams.TopP) },
        { new SamplingParams { TopP = 1.5 }, nameof(SamplingParams.TopP) },
        { new SamplingParams { MinP = -0.1 }, nameof(SamplingParams.MinP) },
        { new SamplingParams { MinP = 2 }, nameof(SamplingParams.MinP) },
        { new SamplingParams { RepetitionPenalty = 0 }, nameof(SamplingParams.RepetitionPenalty) },
        { new SamplingParams { RepetitionPenalty = -1.2 }, nameof(SamplingParams.RepetitionPenalty) },
        { new SamplingParams { RepetitionPenalty = double.PositiveInfinity }, nameof(SamplingParams.RepetitionPenalty) },
        { new SamplingParams { Greedy = true, RepetitionPenalty = double.NaN }, nameof(SamplingParams.RepetitionPenalty) },
        { new SamplingParams { PresencePenalty = double.NaN }, nameof(SamplingParams.PresencePenalty) },
        { new SamplingParams { FrequencyPenalty = double.NegativeInfinity }, nameof(SamplingParams.FrequencyPenalty) },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Impossible_values_are_rejected_naming_the_setting(SamplingParams p, string setting)
    {
        var e = Assert.Throws<InputException>(p.Validate);
        Assert.StartsWith(setting + " ", e.Message);
        Assert.Equal(setting, e.Setting);
        Assert.DoesNotContain("--", e.Message); // the library names its own settings; the CLI says which option sets them
    }

    [Fact]
    public void Greedy_ignores_the_temperature_and_defaults_are_valid()
    {
        new SamplingParams { Greedy = true, Temperature = 0 }.Validate();
        new SamplingParams().Validate();
        Assert.False(new SamplingParams().HasPenalties);
    }

    [Fact]
    public void Penalties_beyond_vllms_range_are_allowed_and_work_with_greedy()
    {
        var p = new SamplingParams { Greedy = true, RepetitionPenalty = 0.5, PresencePenalty = 1e6, FrequencyPenalty = -3 };
        p.Validate();
        Assert.True(p.HasPenalties);
    }

    public static TheoryData<GenerationOptions, string> InvalidGeneration => new()
    {
        { new GenerationOptions { MinNewTokens = -1 }, nameof(GenerationOptions.MinNewTokens) },
        { new GenerationOptions { MaxNewTokens = 8, MinNewTokens = 9 }, nameof(GenerationOptions.MinNewTokens) },
        { new GenerationOptions { TopLogprobs = -1 }, nameof(GenerationOptions.TopLogprobs) },
        { new GenerationOptions { TopLogprobs = 21 }, nameof(GenerationOptions.TopLogprobs) },
    };

    [Theory]
    [MemberData(nameof(InvalidGeneration))]
    public void A_minimum_beyond_the_budget_or_too_many_top_logprobs_are_rejected_naming_the_setting(GenerationOptions options, string setting)
    {
        var e = Assert.Throws<InputException>(options.Validate);
        Assert.StartsWith(setting + " ", e.Message);
        Assert.Equal(setting, e.Setting);
        new GenerationOptions { MaxNewTokens = 8, MinNewTokens = 8, TopLogprobs = 20 }.Validate();
    }
}
