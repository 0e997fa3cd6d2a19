using Rollout.Server.Protocol;

namespace Rollout.Server.Batching;

/// <summary>
/// The jobs waiting for the batcher, in arrival order, at most <c>capacity</c> of them: one more is refused (429) rather
/// than queued without bound. A job leaves when the batcher takes it or its client goes away.
/// </summary>
internal sealed class JobQueue(int capacity)
{
    private readonly LinkedList<Job> _jobs = [];
    private bool _closed;

    public int Count
    {
        get { lock (_jobs) return _jobs.Count; }
    }

    public void Enqueue(Job job)
    {
        lock (_jobs)
        {
            if (_closed) throw ApiError.ShuttingDown();
            if (_jobs.Count >= capacity) throw ApiError.QueueFull(capacity);
            _jobs.AddLast(job);
            Monitor.PulseAll(_jobs);
        }
    }

    /// <summary>Takes a waiting job out (its client went away); false when the batcher has it already.</summary>
    public bool Remove(Job job)
    {
        lock (_jobs) return _jobs.Remove(job);
    }

    /// <summary>
    /// Waits for a job, then takes it and every later one that can share its call (<see cref="Job.Key"/>) while their
    /// rows fit in <paramref name="maxRows"/> (the first is taken whatever its size: the engine decodes it in chunks).
    /// Jobs that cannot share the call keep their place for the next one. While the call is not full and jobs keep
    /// arriving (each within <see cref="Quiet"/> of the last, for up to <see cref="MaxGather"/>), it waits for them: clients
    /// answered by the last call send their next requests at about the same time, and a call started with the first
    /// few of them would leave the rest waiting a whole call (static batches would split the clients into cohorts).
    /// Returns null once the queue is closed.
    /// </summary>
    public List<Job>? Take(int maxRows)
    {
        lock (_jobs)
            while (true)
            {
                while (_jobs.Count == 0 && !_closed) Monitor.Wait(_jobs);
                if (_closed) return null;
                long deadline = Environment.TickCount64 + (long)MaxGather.TotalMilliseconds;
                while (Batch(maxRows).Rows < maxRows && Environment.TickCount64 < deadline && Monitor.Wait(_jobs, Quiet) && !_closed) { }
                if (_closed) return null;
                var (taken, _) = Batch(maxRows);
                foreach (var job in taken) _jobs.Remove(job);
                if (taken.Count > 0) return taken; // else their clients left while it gathered
            }
    }

    /// <summary>How long the batcher waits for one more request while a call is not full, and for all of them.</summary>
    public static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(3), MaxGather = TimeSpan.FromMilliseconds(30);

    private (List<Job> Jobs, int Rows) Batch(int maxRows)
    {
        if (_jobs.First is not { } first) return ([], 0);
        var taken = new List<Job> { first.Value };
        int rows = first.Value.Rows;
        for (var node = first.Next; node != null && rows < maxRows; node = node.Next)
            if (node.Value.Key == first.Value.Key && rows + node.Value.Rows <= maxRows)
            {
                taken.Add(node.Value);
                rows += node.Value.Rows;
            }
        return (taken, rows);
    }

    /// <summary>Refuses new jobs from now on and hands back those waiting (the server is stopping).</summary>
    public List<Job> Close()
    {
        lock (_jobs)
        {
            _closed = true;
            Monitor.PulseAll(_jobs);
            var all = _jobs.ToList();
            _jobs.Clear();
            return all;
        }
    }
}
