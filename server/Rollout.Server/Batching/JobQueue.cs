using Rollout.Server.Protocol;

namespace Rollout.Server.Batching;

/// <summary>
/// The jobs waiting for the batcher, in arrival order, at most <c>capacity</c> of them: one more is refused (429) rather
/// than queued without bound. A job leaves when the batcher takes it or its client goes away.
/// </summary>
internal sealed class JobQueue(int capacity)
{
    private readonly LinkedList<Job> _jobs = [];
    private readonly SemaphoreSlim _arrived = new(0);
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
        }
        _arrived.Release();
    }

    /// <summary>Takes a waiting job out (its client went away); false when the batcher has it already.</summary>
    public bool Remove(Job job)
    {
        lock (_jobs) return _jobs.Remove(job);
    }

    /// <summary>
    /// Waits for a job, then takes it and every later one that can share its call (<see cref="Job.Key"/>) while their
    /// rows fit in <paramref name="maxRows"/> (the first is taken whatever its size: the engine decodes it in chunks).
    /// Jobs that cannot share the call keep their place for the next one.
    /// </summary>
    public List<Job> Take(int maxRows, CancellationToken cancel)
    {
        while (true)
        {
            _arrived.Wait(cancel);
            lock (_jobs)
            {
                if (_jobs.First is not { } first) continue; // its job was removed
                var taken = new List<Job> { first.Value };
                int rows = first.Value.Rows;
                for (var node = first.Next; node != null && rows < maxRows; node = node.Next)
                    if (node.Value.Key == first.Value.Key && rows + node.Value.Rows <= maxRows)
                    {
                        taken.Add(node.Value);
                        rows += node.Value.Rows;
                    }
                foreach (var job in taken) _jobs.Remove(job);
                // One signal was consumed for the whole batch: keep the count equal to the jobs left.
                for (int i = 1; i < taken.Count; i++) _arrived.Wait(0);
                return taken;
            }
        }
    }

    /// <summary>Refuses new jobs from now on and hands back those waiting (the server is stopping).</summary>
    public List<Job> Close()
    {
        lock (_jobs)
        {
            _closed = true;
            var all = _jobs.ToList();
            _jobs.Clear();
            return all;
        }
    }
}
