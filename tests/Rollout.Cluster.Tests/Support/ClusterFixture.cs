using Rollout.Cluster.Membership;
using Rollout.Tests;

namespace Rollout.Cluster.Tests.Support;

/// <summary>
/// A cluster for the tests: membership in a private PostgreSQL, or Orleans' development clustering where PostgreSQL is
/// not installed (said in the test output), and three workers on the shipped model.
/// </summary>
public sealed class ClusterFixture : IDisposable
{
    public const int MaxBatch = 8;
    public static readonly string Model = Path.Combine(RepoPaths.Root, "models", "arith-qwen2");

    private readonly Postgres? _postgres;
    private readonly bool _devAsked;
    private readonly List<WorkerProcess> _workers = [];

    public string Connection { get; }
    public bool Dev => _postgres == null;
    public string Description => !Dev ? "PostgreSQL membership" : _devAsked ? "development clustering (ROLLOUT_TEST_CLUSTER=dev)" : "development clustering (PostgreSQL is not installed here)";

    public ClusterFixture()
    {
        bool dev = Environment.GetEnvironmentVariable("ROLLOUT_TEST_CLUSTER") == "dev";
        _postgres = Postgres.TryStart(dev);
        _devAsked = dev;
        Connection = _postgres?.ConnectionString ?? ClusterConnection.Dev;
        // The development cluster's membership lives in its first worker, on the default ports.
        if (Dev) _workers.Add(WorkerProcess.Start(Model, Connection, ClusterConnection.DefaultSiloPort, ClusterConnection.DefaultGatewayPort, Postgres.FreePort(), MaxBatch));
        var rest = Enumerable.Range(0, 3 - _workers.Count).Select(_ => Task.Run(StartWorker)).ToArray();
        Task.WaitAll(rest);
    }

    /// <summary>The workers now running; in development clustering the first holds the membership and is never killed.</summary>
    internal IReadOnlyList<WorkerProcess> Workers { get { lock (_workers) return [.. _workers]; } }

    internal WorkerProcess StartWorker()
    {
        var worker = WorkerProcess.Start(Model, Connection, Postgres.FreePort(), Postgres.FreePort(), Postgres.FreePort(), MaxBatch);
        lock (_workers) _workers.Add(worker);
        return worker;
    }

    internal void Kill(WorkerProcess worker)
    {
        if (Dev && worker == _workers[0]) throw new InvalidOperationException("the development cluster's first worker holds the membership");
        worker.Kill();
        lock (_workers) _workers.Remove(worker);
    }

    public void Dispose()
    {
        foreach (var worker in Workers) worker.Dispose();
        _postgres?.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
