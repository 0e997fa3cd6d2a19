using System.Text.Json.Nodes;
using Rollout.Cluster.Tests.Support;
using Rollout.Tests;
using static Rollout.Tests.CliRun;

namespace Rollout.Cluster.Tests;

/// <summary><c>train --cluster</c>: the workers sample every iteration with the run's head core M, as the local engine does.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterTrainTests(ClusterFixture cluster)
{
    private static string[] Train(string outDir, string update = "core") =>
    [
        "train", "--model", ClusterFixture.Model, "--task", "arith", "--out", outDir, "--update", update, "--advantage", "l2t-rtg",
        "--iterations", "3", "--prompts", "4", "--n", "4", "--max-new-tokens", "64", "--eval-every", "0", "--seed", "5", "--lr", "0.05",
    ];

    [Fact]
    public void The_core_update_trains_on_the_workers_samples_as_on_the_local_ones()
    {
        var local = RepoPaths.NewTempDir("train-local");
        var (code, _, err) = Run(Train(local));
        Assert.True(code == 0, err);
        var remote = RepoPaths.NewTempDir("train-cluster");
        (code, _, err) = Run([.. Train(remote), "--cluster", cluster.Connection]);
        Assert.True(code == 0, err);

        var expected = File.ReadAllLines(Path.Combine(local, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
        var actual = File.ReadAllLines(Path.Combine(remote, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(3, expected.Count);
        Assert.Equal(expected.Count, actual.Count);
        // Iteration 1 samples from M = 0 on both sides: the same tokens. Later ones sample from the M each side learned,
        // which agree to float noise (the workers' batches differ), so their rollouts agree too unless a draw sits on a boundary.
        Assert.Equal(expected[0]["mean_tokens"]!.GetValue<double>(), actual[0]["mean_tokens"]!.GetValue<double>());
        Assert.Equal(expected[0]["outcome_accuracy"]!.GetValue<double>(), actual[0]["outcome_accuracy"]!.GetValue<double>());
        for (int i = 0; i < expected.Count; i++)
        {
            // The M moved each iteration: a worker that sampled from M = 0 after iteration 1 would change the update's size.
            Assert.Equal(expected[i]["update_norm"]!.GetValue<double>(), actual[i]["update_norm"]!.GetValue<double>(), 0.02 * expected[i]["update_norm"]!.GetValue<double>());
            Assert.Equal(expected[i]["mean_tokens"]!.GetValue<double>(), actual[i]["mean_tokens"]!.GetValue<double>(), 0.05 * expected[i]["mean_tokens"]!.GetValue<double>());
        }
    }

    [Fact]
    public void The_full_update_on_a_cluster_is_refused_in_one_line()
    {
        var (code, _, err) = Run([.. Train(RepoPaths.NewTempDir("train-full"), "full"), "--cluster", cluster.Connection]);
        Assert.Equal(2, code);
        AssertOneLineError(err, "--cluster", "core update only");
    }
}
