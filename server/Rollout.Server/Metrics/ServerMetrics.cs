using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace Rollout.Server.Metrics;

/// <summary>
/// What <c>GET /metrics</c> reports, in Prometheus' text format: tokens generated (in all and per second over the last
/// <see cref="WindowSeconds"/> whole seconds), requests answered by status, the queue's depth, and the running call's
/// rows over the max batch. Tokens and calls are counted on the batcher's thread, requests on Kestrel's.
/// </summary>
internal sealed class ServerMetrics(int maxBatch, Func<int> queueDepth)
{
    public const int WindowSeconds = 10;

    private long _tokens;
    private int _callRows;
    private readonly ConcurrentDictionary<int, long> _requests = new();
    // Tokens per second of the last WindowSeconds + 1 seconds, a ring indexed by the second (the current one still filling).
    private readonly long[] _second = new long[WindowSeconds + 1];
    private readonly long[] _count = new long[WindowSeconds + 1];

    public long Tokens => Interlocked.Read(ref _tokens);

    public void Token()
    {
        Interlocked.Increment(ref _tokens);
        long now = Environment.TickCount64 / 1000;
        int slot = (int)(now % _second.Length);
        if (Volatile.Read(ref _second[slot]) != now)
        {
            Volatile.Write(ref _count[slot], 0);
            Volatile.Write(ref _second[slot], now);
        }
        Interlocked.Increment(ref _count[slot]);
    }

    public void Request(int status) => _requests.AddOrUpdate(status, 1, (_, n) => n + 1);

    public void CallStarted(int rows) => Volatile.Write(ref _callRows, rows);

    public void CallEnded() => Volatile.Write(ref _callRows, 0);

    private double TokensPerSecond()
    {
        long now = Environment.TickCount64 / 1000, sum = 0;
        for (int i = 0; i < _second.Length; i++)
        {
            long second = Volatile.Read(ref _second[i]);
            if (second < now && second >= now - WindowSeconds) sum += Volatile.Read(ref _count[i]);
        }
        return sum / (double)WindowSeconds;
    }

    public string Prometheus()
    {
        var text = new StringBuilder();
        void Metric(string name, string type, string help, IEnumerable<(string Labels, double Value)> values)
        {
            text.Append($"# HELP {name} {help}\n# TYPE {name} {type}\n");
            foreach (var (labels, value) in values) text.Append(CultureInfo.InvariantCulture, $"{name}{labels} {value}\n");
        }
        Metric("rollout_generated_tokens_total", "counter", "Tokens sampled since the server started.", [("", Tokens)]);
        Metric("rollout_generated_tokens_per_second", "gauge", $"Tokens sampled per second over the last {WindowSeconds} s.", [("", TokensPerSecond())]);
        Metric("rollout_requests_total", "counter", "HTTP requests answered, by status code.",
            _requests.OrderBy(r => r.Key).Select(r => ($"{{status=\"{r.Key}\"}}", (double)r.Value)));
        Metric("rollout_queue_depth", "gauge", "Requests waiting for the batcher.", [("", queueDepth())]);
        Metric("rollout_batch_occupancy", "gauge", "Rows in the running batch over the max batch (0 when idle).",
            [("", Volatile.Read(ref _callRows) / (double)maxBatch)]);
        return text.ToString();
    }
}
