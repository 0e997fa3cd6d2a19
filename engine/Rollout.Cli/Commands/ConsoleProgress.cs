using System.Diagnostics;

namespace Rollout.Cli.Commands;

/// <summary>A one-line progress display when the error stream is a terminal, and the closing summary. <paramref name="detail"/> adds to the line (a cluster's workers).</summary>
internal sealed class ConsoleProgress(int totalRollouts, TextWriter error, Func<string>? detail = null) : IDisposable
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly bool _interactive = error == Console.Error && !Console.IsErrorRedirected;
    private long _lastDrawMs = -1000;
    private int _rollouts;
    private long _tokens;

    public void Token()
    {
        _tokens++;
        if (_interactive && _clock.ElapsedMilliseconds - _lastDrawMs >= 250) Draw();
    }

    public void RolloutDone() => _rollouts++;

    public string Summary(int prompts)
    {
        double seconds = _clock.Elapsed.TotalSeconds;
        return $"prompts: {prompts}, rollouts: {_rollouts}, tokens: {_tokens}, time: {seconds:F2} s, tokens/s: {_tokens / Math.Max(seconds, 1e-9):F1}";
    }

    public void Dispose()
    {
        if (_interactive) error.Write("\r\x1b[2K");
    }

    private void Draw()
    {
        _lastDrawMs = _clock.ElapsedMilliseconds;
        double rate = _tokens / Math.Max(_clock.Elapsed.TotalSeconds, 1e-9);
        error.Write($"\r\x1b[2K{_rollouts}/{totalRollouts} rollouts, {_tokens} tokens, {rate:F0} tokens/s{(detail == null ? "" : " | " + detail())}");
    }
}
