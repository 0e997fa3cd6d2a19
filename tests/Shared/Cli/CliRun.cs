namespace Rollout.Tests;

/// <summary>Runs the <c>rollout</c> command in-process, as a shell would, and checks its one-line errors.</summary>
internal static class CliRun
{
    public static (int Code, string Out, string Err) Run(params string[] args) => WithInput("", args);

    /// <summary>Runs it with <paramref name="stdin"/> as its standard input.</summary>
    public static (int Code, string Out, string Err) WithInput(string stdin, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = Rollout.Cli.Cli.Run(args, output, error, new StringReader(stdin));
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>A prompt file of <paramref name="lines"/> in <paramref name="dir"/>.</summary>
    public static string PromptFile(string dir, params string[] lines)
    {
        var path = Path.Combine(dir, $"prompts-{Guid.NewGuid():N}.jsonl");
        File.WriteAllLines(path, lines);
        return path;
    }

    /// <summary>Bad input: one line starting "rollout: ", no stack trace, naming each of <paramref name="mentions"/>.</summary>
    public static void AssertOneLineError(string err, params string[] mentions)
    {
        Assert.Single(err.TrimEnd().Split('\n'));
        Assert.StartsWith("rollout: ", err);
        Assert.DoesNotContain("   at ", err);
        Assert.DoesNotContain("internal error", err);
        foreach (var m in mentions) Assert.Contains(m, err);
    }
}
