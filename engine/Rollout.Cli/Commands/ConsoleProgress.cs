using System.Diagnostics;
using System.Globalization;
using Spectre.Console;

namespace Rollout.Cli.Commands;

/// <summary>
/// Progress of a long verb on the error stream, and a generation's closing summary. On a terminal: a Spectre.Console
/// bar (done / total, tokens/s, time left) redrawn by a task of its own, with log lines printed above it. Otherwise
/// (a file, a pipe, a test's writer): a plain line every <see cref="PlainEvery"/>, none for a shorter run, so logs
/// and captured output stay clean. The work thread only counts; it never waits on the display.
/// </summary>
internal sealed class ConsoleProgress : IDisposable
{
    public static readonly TimeSpan PlainEvery = TimeSpan.FromSeconds(10);

    private readonly int _total;
    private readonly string _unit;
    private readonly TextWriter _error;
    private readonly TimeSpan _plainEvery;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly IAnsiConsole? _terminal;
    private readonly Task? _display;
    private readonly CancellationTokenSource _finished = new();
    private readonly Lock _plainLock = new();
    private TimeSpan _lastPlain;
    private int _done;
    private int? _baseline;
    private long _tokens;

    /// <param name="total">Units of work in all (<paramref name="unit"/>: rollouts, iterations).</param>
    public ConsoleProgress(int total, TextWriter error, string unit = "rollouts")
        : this(total, error, unit, error == Console.Error && !Console.IsErrorRedirected, PlainEvery) { }

    /// <param name="interactive">Draw the terminal bar; else plain lines every <paramref name="plainEvery"/>.</param>
    internal ConsoleProgress(int total, TextWriter error, string unit, bool interactive, TimeSpan plainEvery)
    {
        _total = total;
        _unit = unit;
        _error = error;
        _plainEvery = plainEvery;
        _lastPlain = TimeSpan.Zero;
        if (!interactive) return;
        // The caller knows the stream is a terminal; Spectre's own guess would look at the process's console instead.
        _terminal = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(error), Ansi = AnsiSupport.Yes, Interactive = InteractionSupport.Yes });
        var progress = _terminal.Progress().AutoClear(true)
            .Columns(new ProgressBarColumn(), new PercentageColumn(), new TaskDescriptionColumn { Alignment = Justify.Left }, new SpinnerColumn());
        _display = progress.StartAsync(Draw);
    }

    /// <summary>More for the line, asked for at each redraw (a cluster's workers).</summary>
    public Func<string>? Detail { get; init; }

    /// <summary>One generated token.</summary>
    public void Token() => Tokens(1);

    /// <summary><paramref name="count"/> tokens processed (generated or teacher-forced).</summary>
    public void Tokens(long count)
    {
        Interlocked.Add(ref _tokens, count);
        Plain();
    }

    /// <summary>One unit (a rollout) finished.</summary>
    public void RolloutDone()
    {
        Interlocked.Increment(ref _done);
        Plain();
    }

    /// <summary><paramref name="done"/> units finished in all; the first call sets where this run started (a resumed one is not faster).</summary>
    public void Reached(int done)
    {
        _baseline ??= done;
        Volatile.Write(ref _done, done);
        Plain();
    }

    /// <summary>A line for the error stream, printed above the bar on a terminal.</summary>
    public void Log(string line)
    {
        if (_terminal != null) _terminal.WriteLine(line);
        else _error.WriteLine(line);
    }

    /// <summary>The closing line that scripts and tests parse: <c>prompts: …, rollouts: …, tokens: …, time: …, tokens/s: …</c>.</summary>
    public string Summary(int prompts)
    {
        double seconds = _clock.Elapsed.TotalSeconds;
        return $"prompts: {prompts}, rollouts: {_done}, tokens: {_tokens}, time: {seconds:F2} s, tokens/s: {_tokens / Math.Max(seconds, 1e-9):F1}";
    }

    public void Dispose()
    {
        _finished.Cancel();
        _display?.GetAwaiter().GetResult();
    }

    /// <summary>The plain line: done / total, tokens, tokens/s and the time left at the rate so far.</summary>
    internal string Status()
    {
        var elapsed = _clock.Elapsed;
        int done = Volatile.Read(ref _done);
        long tokens = Interlocked.Read(ref _tokens);
        int progressed = done - (_baseline ?? 0);
        string left = progressed > 0 && done < _total
            ? $", about {Duration(elapsed * ((double)(_total - done) / progressed))} left"
            : "";
        return $"{done}/{_total} {_unit}, {tokens} tokens, {tokens / Math.Max(elapsed.TotalSeconds, 1e-9):F0} tokens/s{left}{(Detail == null ? "" : " | " + Detail())}";
    }

    private static string Duration(TimeSpan t) =>
        t.TotalHours >= 1 ? t.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : t.ToString(@"m\:ss", CultureInfo.InvariantCulture);

    private void Plain()
    {
        if (_terminal != null || _clock.Elapsed - _lastPlain < _plainEvery) return;
        lock (_plainLock)
        {
            if (_clock.Elapsed - _lastPlain < _plainEvery) return;
            _lastPlain = _clock.Elapsed;
            _error.WriteLine(Status());
        }
    }

    private async Task Draw(ProgressContext context)
    {
        var task = context.AddTask(_unit, maxValue: Math.Max(1, _total));
        while (true)
        {
            bool last = _finished.IsCancellationRequested;
            task.Value = Volatile.Read(ref _done);
            // The time left is this class's own (Status), so a resumed run's is right and both displays agree.
            task.Description = Markup.Escape(Status());
            if (last) break;
            try { await Task.Delay(200, _finished.Token); }
            catch (TaskCanceledException) { }
        }
    }
}
