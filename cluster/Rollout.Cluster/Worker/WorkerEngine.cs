using System.Collections.Concurrent;
using System.Diagnostics;
using Rollout.Cluster.Contracts;
using Rollout.Engine;
using Rollout.Engine.Generation;
using Rollout.Engine.Model;

namespace Rollout.Cluster.Worker;

/// <summary>
/// One engine and the groups it holds. A thread of its own (the engine is synchronous and not re-entrant) takes the
/// waiting groups of the oldest run, up to <c>maxBatch</c> sequences, decodes them together in one Generate call and
/// sends each group back as soon as its last sample is out.
/// </summary>
internal sealed class WorkerEngine : IDisposable
{
    private sealed record Held(GroupWork Work, IGroupSink Sink, long Arrived);

    private readonly RolloutEngine _engine;
    private readonly int _maxBatch;
    private readonly Action<string> _log;
    private readonly LinkedList<Held> _queue = new();
    private readonly ConcurrentDictionary<Guid, CancellationTokenSource> _runs = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Thread _thread;
    private int _decoding;
    private Guid _weights;
    /// <summary>The initializers swapped away from the model folder's, to put back for a run that samples the folder's policy.</summary>
    private readonly HashSet<string> _swapped = [];
    private (WeightsMessage Weights, TaskCompletionSource Applied)? _swap;
    private long _groups, _rollouts, _tokens, _busyTicks;

    public WorkerEngine(RolloutEngine engine, int maxBatch, Action<string> log)
    {
        _engine = engine;
        _maxBatch = maxBatch;
        _log = log;
        _thread = new Thread(Loop) { Name = "rollout engine", IsBackground = true };
        _thread.Start();
    }

    /// <summary>This worker's silo address, stamped on the groups it sends back; set once the silo has started.</summary>
    public string? Address { get; set; }

    public WorkerLoad Load
    {
        get { lock (_queue) return new WorkerLoad(_maxBatch, _queue.Count, _decoding, _weights); }
    }

    /// <summary>What <c>GET /metrics</c> serves, in Prometheus' text format: totals since the worker started, and its queue now.</summary>
    public string Metrics()
    {
        var load = Load;
        return $"""
            # TYPE rollout_worker_groups_total counter
            rollout_worker_groups_total {Interlocked.Read(ref _groups)}
            # TYPE rollout_worker_rollouts_total counter
            rollout_worker_rollouts_total {Interlocked.Read(ref _rollouts)}
            # TYPE rollout_worker_tokens_total counter
            rollout_worker_tokens_total {Interlocked.Read(ref _tokens)}
            # TYPE rollout_worker_engine_seconds_total counter
            rollout_worker_engine_seconds_total {TimeSpan.FromTicks(Interlocked.Read(ref _busyTicks)).TotalSeconds.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}
            # TYPE rollout_worker_queued_groups gauge
            rollout_worker_queued_groups {load.Queued}
            # TYPE rollout_worker_decoding_groups gauge
            rollout_worker_decoding_groups {load.Decoding}
            # TYPE rollout_worker_max_batch gauge
            rollout_worker_max_batch {load.MaxBatch}

            """;
    }

    public void Hold(GroupWork[] groups, IGroupSink sink)
    {
        lock (_queue)
        {
            foreach (var group in groups) _queue.AddLast(new Held(group, sink, Stopwatch.GetTimestamp()));
            Monitor.Pulse(_queue);
        }
    }

    /// <summary>Queues new weights for the engine thread, which swaps them in between batches (never during a Generate call).</summary>
    public Task Swap(WeightsMessage weights)
    {
        var applied = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_queue)
        {
            _swap?.Applied.TrySetCanceled();
            _swap = (weights, applied);
            Monitor.Pulse(_queue);
        }
        return applied.Task;
    }

    public void Drop(Guid run)
    {
        lock (_queue)
        {
            for (var node = _queue.First; node != null;)
            {
                var next = node.Next;
                if (node.Value.Work.Run == run) _queue.Remove(node);
                node = next;
            }
        }
        if (_runs.TryRemove(run, out var cancel)) cancel.Cancel();
    }

    private List<Held>? Next()
    {
        lock (_queue)
        {
            while (_queue.Count == 0 || _swap != null)
            {
                if (_stopping.IsCancellationRequested) return null;
                if (_swap is { } swap) ApplySwap(swap);
                else Monitor.Wait(_queue, 500);
            }
            var run = _queue.First!.Value.Work.Run;
            var batch = new List<Held>();
            int rows = 0;
            for (var node = _queue.First; node != null;)
            {
                var next = node.Next;
                int groupRows = Math.Min(node.Value.Work.Options.SamplesPerPrompt, _maxBatch);
                if (node.Value.Work.Run == run && (batch.Count == 0 || rows + groupRows <= _maxBatch))
                {
                    batch.Add(node.Value);
                    rows += groupRows;
                    _queue.Remove(node);
                }
                node = next;
            }
            _decoding = batch.Count;
            return batch;
        }
    }

    /// <summary>On the engine thread, under the queue's lock: the client waits for it before it hands out groups.</summary>
    private void ApplySwap((WeightsMessage Weights, TaskCompletionSource Applied) swap)
    {
        _swap = null;
        try
        {
            if (swap.Weights.Version != Guid.Empty)
            {
                _engine.UpdateWeights(swap.Weights.ToTensors());
                _swapped.UnionWith(swap.Weights.Names);
            }
            else if (_swapped.Count > 0)
            {
                var folder = OnnxInitializers.Open(_engine.Model.OnnxPath);
                _engine.UpdateWeights(_swapped.ToDictionary(name => name, folder.Read));
                _swapped.Clear();
            }
            _weights = swap.Weights.Version;
            swap.Applied.SetResult();
        }
        catch (Exception e) { swap.Applied.SetException(e); }
    }

    private void Loop()
    {
        while (Next() is { } batch)
        {
            try { Decode(batch); }
            catch (Exception e) { _log($"rollout worker: internal error: {e.GetType().Name}: {e.Message}"); }
            finally { lock (_queue) _decoding = 0; }
        }
    }

    private void Decode(List<Held> batch)
    {
        var run = batch[0].Work.Run;
        var cancel = _runs.GetOrAdd(run, _ => new CancellationTokenSource()).Token;
        var requests = batch.Select(h => h.Work.ToRequest(_maxBatch, cancel)).ToList();
        long start = Stopwatch.GetTimestamp();
        var samples = new List<RolloutMessage>();
        int group = 0;
        try
        {
            foreach (var rollout in _engine.Generate(requests, cancel: cancel))
            {
                samples.Add(RolloutMessage.From(rollout));
                if (samples.Count < requests[group].Options.SamplesPerPrompt) continue;
                var held = batch[group++];
                Interlocked.Increment(ref _groups);
                Interlocked.Add(ref _rollouts, samples.Count);
                Interlocked.Add(ref _tokens, samples.Sum(r => (long)r.TokenIds.Length));
                Send(held, new GroupDone(run, held.Work.Group, [.. samples],
                    Stopwatch.GetElapsedTime(held.Arrived, start).TotalSeconds, Stopwatch.GetElapsedTime(start).TotalSeconds));
                samples.Clear();
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested) { }
        catch (Exception e)
        {
            // The client reports the first failed group of its run as the local engine would; the rest of the batch goes with it.
            foreach (var held in batch.Skip(group))
                Send(held, new GroupDone(run, held.Work.Group, [], 0, 0, e.Message, e is InputException));
        }
        finally { Interlocked.Add(ref _busyTicks, Stopwatch.GetElapsedTime(start).Ticks); }
    }

    private void Send(Held held, GroupDone done) =>
        held.Sink.Done(done with { Worker = Address }).ContinueWith(t =>
        {
            // The client went away: nothing of its run is worth decoding any more.
            _log($"rollout worker: run {done.Run} dropped: its client is unreachable ({t.Exception!.InnerException?.Message})");
            Drop(done.Run);
        }, TaskContinuationOptions.OnlyOnFaulted);

    public void Dispose()
    {
        _stopping.Cancel();
        lock (_queue) Monitor.PulseAll(_queue);
        foreach (var run in _runs.Values) run.Cancel();
        _thread.Join();
        _engine.Dispose();
    }
}
