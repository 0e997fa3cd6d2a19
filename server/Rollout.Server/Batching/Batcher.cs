using Rollout.Engine;
using Rollout.Engine.Generation;
using Rollout.Server.Metrics;
using Rollout.Server.Protocol;

namespace Rollout.Server.Batching;

/// <summary>
/// The one thread that runs the engine. It takes the waiting jobs that can share a call (up to the max batch in rows),
/// decodes them in one <see cref="RolloutEngine.Generate(IReadOnlyList{GenerationRequest}, Action{SampledToken}?, int, CancellationToken)"/>
/// call, sends each job its tokens and rollouts as they come, and loops: requests arriving meanwhile wait for the next call
/// (the engine's batches are static within a call).
/// </summary>
internal sealed class Batcher : IDisposable
{
    private readonly ServedModel _model;
    private readonly JobQueue _queue;
    private readonly ServerMetrics _metrics;
    private readonly Action<string> _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;

    public Batcher(ServedModel model, JobQueue queue, ServerMetrics metrics, Action<string> log)
    {
        _model = model;
        _queue = queue;
        _metrics = metrics;
        _log = log;
        _thread = new Thread(Loop) { Name = "rollout batcher", IsBackground = true };
    }

    public void Start() => _thread.Start();

    /// <summary>Aborts the running call and fails every job, running or waiting, with 503; returns when the thread has ended.</summary>
    public void Stop()
    {
        _stop.Cancel();
        var waiting = _queue.Close();
        if (_thread.IsAlive) _thread.Join();
        foreach (var job in waiting) job.Complete(ApiError.ShuttingDown());
    }

    private void Loop()
    {
        while (true)
        {
            if (_queue.Take(_model.MaxBatch) is not { } jobs) return;
            // A client that left while its job waited costs nothing.
            jobs.RemoveAll(job =>
            {
                if (job.Abandoned) job.Complete(new OperationCanceledException());
                return job.Abandoned;
            });
            if (jobs.Count > 0) Run(jobs);
        }
    }

    private void Run(List<Job> jobs)
    {
        var requests = new List<GenerationRequest>();
        var owners = new List<(Job Job, int Index)>();
        foreach (var job in jobs)
            for (int i = 0; i < job.Requests.Count; i++)
            {
                requests.Add(job.Requests[i]);
                owners.Add((job, i));
            }
        var left = jobs.ToDictionary(j => j, j => j.Requests.Count);

        void OnToken(SampledToken token)
        {
            _metrics.Token();
            var (job, index) = owners[token.Request];
            if (!job.DropIfAbandoned()) job.Token(index, token);
        }

        // Results come in request order, a request's samples together; a cancelled request yields none. Jobs are cancelled
        // only in OnToken, on this thread, so a request cancelled now was cancelled when the engine decided whether to yield it.
        void Done(int request)
        {
            var job = owners[request].Job;
            if (--left[job] == 0)
            {
                job.Complete(job.Dropped ? new OperationCanceledException() : null);
                left.Remove(job);
            }
        }

        _metrics.CallStarted(Math.Min(requests.Sum(r => r.Options.SamplesPerPrompt), _model.MaxBatch));
        try
        {
            int cursor = 0, received = 0;
            foreach (var result in _model.Engine.Generate(requests, OnToken, cancel: _stop.Token))
            {
                while (received == 0 && requests[cursor].Cancellation.IsCancellationRequested) Done(cursor++);
                owners[cursor].Job.Result(owners[cursor].Index, result);
                if (++received == requests[cursor].Options.SamplesPerPrompt)
                {
                    Done(cursor++);
                    received = 0;
                }
            }
            for (; cursor < requests.Count; cursor++) Done(cursor);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            foreach (var job in left.Keys) job.Complete(ApiError.ShuttingDown());
        }
        catch (Exception e)
        {
            // A request the checks let through that the engine refused, or a bug: its call's jobs fail, the server goes on.
            _log($"rollout serve: a generation call failed: {e.GetType().Name}: {e.Message}");
            var error = e is InputException ? ApiError.Internal($"generation failed: {e.Message}") : ApiError.Internal("generation failed (see the server's log)");
            foreach (var job in left.Keys) job.Complete(error);
        }
        finally
        {
            _metrics.CallEnded();
        }
    }

    public void Dispose()
    {
        Stop();
        _stop.Dispose();
    }
}
