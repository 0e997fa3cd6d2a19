using Rollout.Engine.Sampling;

namespace Rollout.Engine.Tests.Sampling;

public class SamplingParamsTests
{
    public static TheoryData<SamplingParams, string> Invalid => new()
    {
        { new SamplingParams { Temperature = 0 }, "--temperature" },
        { new SamplingParams { Temperature = double.NaN }, "--temperature" },
        { new SamplingParams { TopK = -1 }, "--top-k" },
        { new SamplingParams { TopP = 0 }, "--top-p" },
        { new SamplingParams { TopP = 1.5 }, "--top-p" },
        { new SamplingParams { MinP = -0.1 }, "--min-p" },
        { new SamplingParams { MinP = 2 }, "--min-p" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Impossible_values_are_rejected_naming_the_option(SamplingParams p, string option)
    {
        var e = Assert.Throws<InputException>(p.Validate);
        Assert.Contains(option, e.Message);
    }

    [Fact]
    public void Greedy_ignores_the_temperature_and_defaults_are_valid()
    {
        new SamplingParams { Greedy = true, Temperature = 0 }.Validate();
        new SamplingParams().Validate();
    }
}
