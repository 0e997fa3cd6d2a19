using Rollout.Cli.Commands;

namespace Rollout.Engine.Tests.Cli;

/// <summary>The progress display: what its plain line says, when it says nothing, and the terminal bar's text.</summary>
public sealed class ConsoleProgressTests
{
    private static void Work(ConsoleProgress progress)
    {
        progress.Tokens(25);
        for (int i = 0; i < 3; i++) progress.RolloutDone();
        progress.Token();
    }

    [Fact]
    public void The_plain_line_says_done_of_total_the_tokens_and_the_time_left()
    {
        var error = new StringWriter();
        using (var progress = new ConsoleProgress(10, error, "rollouts", interactive: false, plainEvery: TimeSpan.Zero)) Work(progress);
        var last = error.ToString().TrimEnd().Split('\n')[^1];
        Assert.Matches(@"^3/10 rollouts, 26 tokens, \d+ tokens/s, about \d+:\d\d left$", last);
    }

    [Fact]
    public void A_run_shorter_than_the_interval_writes_no_plain_line()
    {
        var error = new StringWriter();
        using (var progress = new ConsoleProgress(10, error, "rollouts", interactive: false, plainEvery: TimeSpan.FromDays(1))) Work(progress);
        Assert.Equal("", error.ToString());
    }

    [Fact]
    public void A_resumed_run_counts_its_rate_from_where_it_started()
    {
        var error = new StringWriter();
        using (var progress = new ConsoleProgress(20, error, "iterations", interactive: false, plainEvery: TimeSpan.Zero))
        {
            progress.Reached(18);
            Assert.Matches(@"^18/20 iterations, 0 tokens, \d+ tokens/s$", progress.Status()); // nothing done here yet: no rate, no estimate
            progress.Reached(19);
        }
        Assert.Matches(@"19/20 iterations, .* left", error.ToString().TrimEnd().Split('\n')[^1]);
    }

    [Fact]
    public void On_a_terminal_the_bar_shows_the_count_and_log_lines_print_above_it()
    {
        var terminal = new StringWriter();
        using (var progress = new ConsoleProgress(10, terminal, "rollouts", interactive: true, plainEvery: TimeSpan.Zero))
        {
            Work(progress);
            progress.Log("iteration 1/10  reward 0.5");
        }
        var screen = terminal.ToString();
        Assert.Contains("3/10 rollouts, 26 tokens", screen);
        Assert.Contains("iteration 1/10  reward 0.5", screen);
        Assert.Contains("\x1b[", screen); // drawn with ANSI sequences, not plain lines
    }

    [Fact]
    public void The_summary_keeps_the_format_scripts_parse()
    {
        using var progress = new ConsoleProgress(10, TextWriter.Null, "rollouts", interactive: false, plainEvery: TimeSpan.FromDays(1));
        Work(progress);
        Assert.Matches(@"^prompts: 2, rollouts: 3, tokens: 26, time: \d+\.\d\d s, tokens/s: \d+\.\d$", progress.Summary(2));
    }
}
