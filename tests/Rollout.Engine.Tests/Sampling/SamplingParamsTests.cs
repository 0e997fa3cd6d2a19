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
    }
}
