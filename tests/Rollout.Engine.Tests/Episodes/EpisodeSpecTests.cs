using Rollout.Engine.Episodes;

namespace Rollout.Engine.Tests.Episodes;

public class EpisodeSpecTests
{
    [Fact]
    public void Parses_the_three_modes()
    {
        Assert.Equal(EpisodeMode.Tags, EpisodeSpec.Parse("tags").Mode);
        Assert.Equal(EpisodeMode.Think, EpisodeSpec.Parse("think").Mode);
        var regex = EpisodeSpec.Parse(@"regex:\n\n");
        Assert.Equal(EpisodeMode.Regex, regex.Mode);
        Assert.Matches(regex.Pattern!, "a\n\nb");
        Assert.Equal(@"regex:\n\n", regex.ToString());
    }

    [Theory]
    [InlineData("regex:(unclosed", "invalid regex")]
    [InlineData("regex:", "needs a pattern")]
    [InlineData("blocks", "unknown mode")]
    public void Bad_specs_are_input_errors(string spec, string problem)
    {
        var e = Assert.Throws<InputException>(() => EpisodeSpec.Parse(spec));
        Assert.StartsWith("Episodes:", e.Message);
        Assert.Equal("Episodes", e.Setting);
        Assert.Contains(problem, e.Message);
    }
}
