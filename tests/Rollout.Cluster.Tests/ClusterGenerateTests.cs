using Rollout.Cluster.Tests.Support;
using Rollout.Tests;
using static Rollout.Tests.CliRun;

namespace Rollout.Cluster.Tests;

/// <summary><c>generate --cluster</c> on three worker processes writes what the local engine writes.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterGenerateTests(ClusterFixture cluster)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Three_workers_write_the_local_engines_rollouts(bool l2t)
    {
        TestContext.Current.TestOutputHelper?.WriteLine($"cluster: {cluster.Description}, {cluster.Workers.Count} workers");
        var dir = RepoPaths.NewTempDir("cluster-generate");
        var prompts = Path.Combine(dir, "prompts.jsonl");
        File.WriteAllLines(prompts, File.ReadLines(Path.Combine(ClusterFixture.Model, "test.jsonl")).Take(32));
        string[] Generate(string output) =>
            ["generate", "--model", ClusterFixture.Model, "--prompts", prompts, "--out", output, "--n", "4", "--temperature", "0.9", "--seed", "11",
             "--max-new-tokens", "96", .. l2t ? new[] { "--l2t" } : []];

        var local = Path.Combine(dir, "local.jsonl");
        var (code, _, err) = Run(Generate(local));
        Assert.True(code == 0, err);
        var remote = Path.Combine(dir, "cluster.jsonl");
        double Delivered() => cluster.Workers.Sum(w => w.Metric("rollout_worker_rollouts_total"));
        double before = Delivered();
        (code, var summary, err) = Run([.. Generate(remote), "--cluster", cluster.Connection]);
        Assert.True(code == 0, err);
        TestContext.Current.TestOutputHelper?.WriteLine(err + summary);

        var comparison = RolloutComparison.AssertSameLines(File.ReadAllLines(local), File.ReadAllLines(remote));
        TestContext.Current.TestOutputHelper?.WriteLine($"largest relative differences: {comparison}");
        // The workers' own counters (GET /metrics): every rollout decoded once, and none twice unless a worker was taken for
        // lost (an answer slower than 20 s on a loaded machine), whose groups are then decoded again elsewhere.
        if (err.Contains(" lost (", StringComparison.Ordinal)) Assert.True(Delivered() - before >= 32 * 4);
        else Assert.Equal(32 * 4, Delivered() - before);
        Assert.All(cluster.Workers, w => Assert.Equal(ClusterFixture.MaxBatch, w.Metric("rollout_worker_max_batch")));
        // Every worker took part (groups go to free slots, so none is left idle while 32 groups wait).
        foreach (var worker in cluster.Workers)
        {
            var report = System.Text.RegularExpressions.Regex.Match(err, $@"worker {System.Text.RegularExpressions.Regex.Escape(worker.Address.Split('@')[0])}: (\d+) groups");
            Assert.True(report.Success && int.Parse(report.Groups[1].Value) > 0, $"worker {worker.Address} decoded no group");
        }
    }
}
