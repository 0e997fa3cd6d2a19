using System.Text.Json.Nodes;
using Rollout.Cluster.Tests.Support;
using Rollout.Tests;
using static Rollout.Tests.CliRun;

namespace Rollout.Cluster.Tests;

/// <summary><c>train --cluster</c>: the workers sample every iteration from the run's current policy (M, or the full update's weights), as the local engine does.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterTrainTests(ClusterFixture cluster)
{
    private static string[] Train(string outDir, string update = "core") =>
    [
        "train", "--model", ClusterFixture.Model, "--task", "arith", "--out", outDir, "--update", update, "--advantage", "l2t-rtg",
        "--iterations", "3", "--prompts", "4", "--n", "4", "--max-new-tokens", "64", "--eval-every", "0", "--seed", "5", "--lr", update == "core" ? "0.05" : "0.001",
    ];

    [Theory]
    [InlineData("core")]
    [InlineData("full")]
    public void Training_on_the_workers_samples_follows_the_policy_as_a_local_run_does(string update)
    {
        var local = RepoPaths.NewTempDir($"train-local-{update}");
        var (code, _, err) = Run(Train(local, update));
        Assert.True(code == 0, err);
        var remote = RepoPaths.NewTempDir($"train-cluster-{update}");
        (code, _, err) = Run([.. Train(remote, update), "--cluster", cluster.Connection]);
        Assert.True(code == 0, err);

        var expected = File.ReadAllLines(Path.Combine(local, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
        var actual = File.ReadAllLines(Path.Combine(remote, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(3, expected.Count);
        Assert.Equal(expected.Count, actual.Count);
        // Iteration 1 samples the model folder's policy on both sides: the same tokens. Later ones sample the policy each
        // side learned (M, or every weight), which agree to float noise (the workers' batches differ), so their rollouts agree
        // too unless a draw sits on a boundary: a worker left on the old policy would change the update's size and the lengths.
        Assert.Equal(expected[0]["mean_tokens"]!.GetValue<double>(), actual[0]["mean_tokens"]!.GetValue<double>());
        Assert.Equal(expected[0]["outcome_accuracy"]!.GetValue<double>(), actual[0]["outcome_accuracy"]!.GetValue<double>());
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i]["update_norm"]!.GetValue<double>(), actual[i]["update_norm"]!.GetValue<double>(), 0.02 * expected[i]["update_norm"]!.GetValue<double>());
            Assert.Equal(expected[i]["mean_tokens"]!.GetValue<double>(), actual[i]["mean_tokens"]!.GetValue<double>(), 0.05 * expected[i]["mean_tokens"]!.GetValue<double>());
        }
    }
}
