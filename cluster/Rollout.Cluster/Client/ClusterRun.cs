using System.Diagnostics;
using Orleans.Runtime;
using Rollout.Cluster.Contracts;
using Rollout.Engine;
using Rollout.Engine.Generation;

namespace Rollout.Cluster.Client;

/// <summary>
/// One Generate call spread over the workers. Groups go, lowest index first, to the worker with the most free batch
/// slots; they come back in any order and are taken in request order. A worker that stops answering (or leaves the
/// membership) has its groups put back; a group that comes back twice is kept once, so each rollout is yielded once.
/// </summary>
internal sealed class ClusterRun : IGroupSink, IDisposable
{
    // Generous: a worker busy decoding on a loaded machine still answers; a dead one fails at once (connection refused).
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(20), PollEvery = TimeSpan.FromSeconds(1);

    private readonly IClusterClient _client;
    private readonly IReadOnlyList<GenerationRequest> _requests;
    private readonly WeightsMessage? _weights;
    private readonly Action<string> _log;
    private readonly Guid _run = Guid.NewGuid();
    private readonly IGroupSink _sink;
    private readonly object _lock = new();
    private readonly SortedSet<int> _pending = [];
    private readonly HashSet<int> _delivered = [];
    private readonly Dictionary<int, GroupDone> _results = [];
    private readonly Dictionary<string, WorkerSlot> _workers = [];
    private readonly List<GroupTiming> _timings = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _monitor;
    private int _next;
    private bool _waitingSaid;

    /// <param name="weights">The weights the run samples from, sent to each worker that does not have them before it gets a group; null: the model folder's (a worker left with another run's goes back).</param>
    public ClusterRun(IClusterClient client, IReadOnlyList<GenerationRequest> requests, int firstGroup, Action<string> log, WeightsMessage? weights = null)
    {
        _client = client;
        _requests = requests;
        _weights = weights;
        _log = log;
        _next = firstGroup;
        for (int g = firstGroup; g < requests.Count; g++) _pending.Add(g);
        _sink = client.CreateObjectReference<IGroupSink>(this);
        _monitor = Task.Run(Monitor);
    }

    /// <summary>The finished group <paramref name="group"/>, waiting for it; throws the error a worker reported for it.</summary>
    public GroupDone Take(int group, CancellationToken cancel)
    {
        GroupDone done;
        lock (_lock)
        {
            var waited = Stopwatch.StartNew();
            while (!_results.Remove(group, out done!))
            {
                cancel.ThrowIfCancellationRequested();
                if (!_waitingSaid && waited.Elapsed > TimeSpan.FromSeconds(5) && !_workers.Values.Any(w => w.Live))
                {
                    _waitingSaid = true;
                    _log("rollout: waiting for a worker to join the cluster");
                }
                System.Threading.Monitor.Wait(_lock, 100);
            }
            _next = group + 1;
        }
        if (done.Error != null)
            throw done.InputError ? new InputException(done.Error) : new InvalidOperationException($"worker: {done.Error}");
        Schedule();
        return done;
    }

    public Task Done(GroupDone done)
    {
        lock (_lock)
        {
            if (done.Run != _run || !_delivered.Add(done.Group)) return Task.CompletedTask;
            _results[done.Group] = done;
            _pending.Remove(done.Group);
            // Whoever else holds it (it was reassigned) is released; its copy will be ignored.
            WorkerSlot? holder = null;
            long sent = 0;
            foreach (var worker in _workers.Values)
                if (worker.Holding.Remove(done.Group, out long at) && (holder == null || worker.Key == done.Worker)) (holder, sent) = (worker, at);
            var decoder = done.Worker != null && _workers.TryGetValue(done.Worker, out var named) ? named : holder;
            if (decoder != null)
            {
                decoder.Groups++;
                decoder.Rollouts += done.Rollouts.Length;
                decoder.Tokens += done.Rollouts.Sum(r => (long)r.TokenIds.Length);
            }
            if (holder != null && holder == decoder)
                _timings.Add(new GroupTiming(Stopwatch.GetElapsedTime(sent).TotalSeconds, done.QueuedSeconds, done.ComputeSeconds, done.Rollouts.Length));
            System.Threading.Monitor.PulseAll(_lock);
        }
        Schedule();
        return Task.CompletedTask;
    }

    public IReadOnlyList<WorkerStatus> Workers()
    {
        lock (_lock)
            return [.. _workers.Values.Select(w =>
            {
                double seconds = Math.Max(Stopwatch.GetElapsedTime(w.Joined).TotalSeconds, 1e-9);
                return new WorkerStatus(w.Key, w.Live, w.MaxBatch, w.Holding.Count, w.Groups, w.Rollouts, w.Tokens, w.Reassigned,
                    w.Rollouts / seconds, w.Tokens / seconds);
            })];
    }

    public IReadOnlyList<GroupTiming> Timings()
    {
        lock (_lock) return [.. _timings];
    }

    private int Rows(int group, WorkerSlot worker) => Math.Min(_requests[group].Options.SamplesPerPrompt, Math.Max(worker.MaxBatch, 1));

    /// <summary>Fills free batch slots. Groups further ahead of the one being waited for than the cluster holds twice over wait, which bounds the results kept for ordering.</summary>
    private void Schedule()
    {
        var sends = new List<(WorkerSlot Worker, List<GroupWork> Groups)>();
        lock (_lock)
        {
            var live = _workers.Values.Where(w => w.Live).ToList();
            if (live.Count == 0 || _pending.Count == 0) return;
            int window = Math.Max(4, 2 * live.Sum(w => w.Capacity) / Math.Max(1, Math.Min(_requests[Math.Min(_next, _requests.Count - 1)].Options.SamplesPerPrompt, live.Min(w => w.MaxBatch))));
            var assigned = new List<int>();
            foreach (int group in _pending)
            {
                if (group >= _next + window) break;
                if (_requests[group].Cancellation.IsCancellationRequested) continue;
                var worker = live.MaxBy(w => w.Capacity - w.Holding.Keys.Sum(g => Rows(g, w)));
                if (worker == null) break;
                int free = worker.Capacity - worker.Holding.Keys.Sum(g => Rows(g, worker));
                if (free < Rows(group, worker) && worker.Holding.Count > 0) break;
                worker.Holding[group] = Stopwatch.GetTimestamp();
                assigned.Add(group);
                var send = sends.FindIndex(s => s.Worker == worker);
                if (send < 0) sends.Add((worker, [GroupWork.From(_run, group, _requests[group])]));
                else sends[send].Groups.Add(GroupWork.From(_run, group, _requests[group]));
            }
            _pending.ExceptWith(assigned);
        }
        foreach (var (worker, groups) in sends) _ = Send(worker, [.. groups]);
    }

    private async Task Send(WorkerSlot worker, GroupWork[] groups)
    {
        try { await worker.Grain.Hold(groups, _sink).WaitAsync(CallTimeout); }
        catch (Exception e) { Lost(worker, Reason(e)); }
    }

    /// <summary>The root cause in one line (Orleans' messages carry stack traces).</summary>
    private static string Reason(Exception e) => e.GetBaseException().Message.Split('\n')[0].Trim();

    private void Lost(WorkerSlot worker, string reason)
    {
        int back;
        lock (_lock)
        {
            if (!worker.Live) return;
            worker.Live = false;
            var holding = worker.Holding.Keys.Where(g => !_delivered.Contains(g)).ToList();
            _pending.UnionWith(holding);
            worker.Reassigned += back = holding.Count;
            worker.Holding.Clear();
        }
        _log($"rollout: worker {worker.Name} lost ({reason}); {back} groups reassigned");
        Schedule();
    }

    /// <summary>Every second: workers that joined the membership are greeted, those that left or stopped answering are lost.</summary>
    private async Task Monitor()
    {
        var management = _client.GetGrain<IManagementGrain>(0);
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var hosts = await management.GetHosts(onlyActive: true).WaitAsync(CallTimeout, _stop.Token);
                var keys = hosts.Keys.Select(s => s.ToParsableString()).ToHashSet();
                List<WorkerSlot> probe, left;
                lock (_lock)
                {
                    foreach (var key in keys.Where(k => !_workers.ContainsKey(k)))
                        _workers[key] = new WorkerSlot(key, _client.GetGrain<IRolloutWorker>(key));
                    left = [.. _workers.Values.Where(w => w.Live && !keys.Contains(w.Key))];
                    probe = [.. _workers.Values.Where(w => keys.Contains(w.Key) && !w.Probing)];
                    foreach (var w in probe) w.Probing = true;
                }
                foreach (var worker in left) Lost(worker, "left the cluster");
                foreach (var worker in probe) _ = Probe(worker);
            }
            catch (Exception) when (!_stop.IsCancellationRequested)
            {
                // The membership is read again next time; a worker that is gone also fails its own probe.
            }
            try { await Task.Delay(PollEvery, _stop.Token); }
            catch (OperationCanceledException) { }
        }
    }

    private async Task Probe(WorkerSlot worker)
    {
        try
        {
            var load = await worker.Grain.Load().WaitAsync(CallTimeout, _stop.Token);
            // A worker samples this run's policy before it holds a group of it (the weights go once per version and worker).
            var weights = _weights ?? WeightsMessage.ModelFolder;
            if (!worker.Live && load.Weights != weights.Version)
                await worker.Grain.SwapWeights(weights).WaitAsync(CallTimeout * 3, _stop.Token);
            bool joined;
            lock (_lock)
            {
                worker.MaxBatch = load.MaxBatch;
                joined = !worker.Live;
                if (joined) (worker.Live, worker.Joined) = (true, Stopwatch.GetTimestamp());
            }
            if (joined)
            {
                _log($"rollout: worker {worker.Name} joined (max batch {load.MaxBatch})");
                Schedule();
            }
        }
        catch (Exception e) when (!_stop.IsCancellationRequested) { Lost(worker, Reason(e)); }
        catch (OperationCanceledException) { }
        finally { lock (_lock) worker.Probing = false; }
    }

    public void Dispose()
    {
        _stop.Cancel();
        try { _monitor.Wait(CallTimeout); } catch (AggregateException) { }
        List<WorkerSlot> workers;
        lock (_lock) workers = [.. _workers.Values.Where(w => w.Live)];
        // The run's queued groups are dropped and running ones cancelled (a run that ends early); best effort.
        try { Task.WhenAll(workers.Select(w => w.Grain.Drop(_run))).Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        _client.DeleteObjectReference<IGroupSink>(_sink);
    }
}

/// <summary>A worker as the client sees it in a run: rates since it joined, and the groups it holds (its queue depth).</summary>
public sealed record WorkerStatus(string Address, bool Live, int MaxBatch, int Holding, int Groups, int Rollouts, long Tokens, int Reassigned,
    double RolloutsPerSecond, double TokensPerSecond);

/// <summary>One group's times, in seconds: sent to received by the client, and the worker's queue wait and engine time.</summary>
public sealed record GroupTiming(double RoundTrip, double Queued, double Compute, int Rollouts)
{
    /// <summary>What the cluster adds: serialization, transport and scheduling.</summary>
    public double Overhead => RoundTrip - Queued - Compute;
}
