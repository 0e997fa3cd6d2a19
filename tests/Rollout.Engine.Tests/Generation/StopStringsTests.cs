using Rollout.Engine.Generation;

namespace Rollout.Engine.Tests.Generation;

public class StopStringsTests
{
    /// <summary>Feeds tokens one at a time, as the engine does; returns the token that completed a stop string and the kept text.</summary>
    private static (int Token, string Text, string Stop)? Run(StopStrings stops, params string[] tokens)
    {
        var text = "";
        for (var i = 0; i < tokens.Length; i++)
        {
            var checkedLength = text.Length;
            text += tokens[i];
            if (stops.TryFind(text, checkedLength, out var start, out var stop)) return (i, text[..start], stop);
        }
        return null;
    }

    [Fact]
    public void A_stop_string_inside_one_token()
    {
        Assert.Equal((1, "The answer", "###"), Run(new StopStrings(["###"]), "The answer", "### 42"));
    }

    [Fact]
    public void A_stop_string_spanning_several_tokens_stops_at_the_token_that_completes_it()
    {
        Assert.Equal((3, "Hello ", "###"), Run(new StopStrings(["###"]), "Hel", "lo #", "#", "# more", "###"));
    }

    [Fact]
    public void The_earliest_occurrence_wins_whatever_the_list_order()
    {
        Assert.Equal((0, "x", "abc"), Run(new StopStrings(["b", "abc"]), "xabc"));
        // A tie in position goes to the first listed; the text is cut at the same place either way.
        Assert.Equal((0, "x", "\n\n"), Run(new StopStrings(["\n\n", "\n"]), "x\n\n"));
    }

    [Fact]
    public void Occurrences_already_checked_are_not_reported_again()
    {
        var stops = new StopStrings(["##"]);
        Assert.False(stops.TryFind("ab##cd", 6, out _, out _));
        Assert.True(stops.TryFind("ab##cd", 3, out var start, out _));
        Assert.Equal(2, start);
    }

    [Fact]
    public void No_stop_strings_never_stop()
    {
        Assert.Null(Run(new StopStrings([]), "a", "b"));
    }

    [Fact]
    public void An_empty_stop_string_is_an_input_error()
    {
        Assert.Throws<InputException>(() => new StopStrings(["ok", ""]));
    }
}
