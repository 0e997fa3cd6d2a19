using System.Text.Json;
using Rollout.Cluster.Client;
using Rollout.Cluster.Tests.Support;
using Rollout.Engine;
using Rollout.Engine.Generation;
using Rollout.Engine.Model;
using Rollout.Engine.Output;
using Rollout.Engine.Prompts;
using Rollout.Tests;

namespace Rollout.Cluster.Tests;

/// <summary>Workers dying (kill -9) and joining during a run change nothing in what it yields.</summary>
[Collection(ClusterCollection.Name)]
public sealed class WorkerChurnTests(ClusterFixture cluster)
{
    [Fact]
    public void A_worker_killed_mid_run_loses_nothing_and_one_that_joins_takes_work()
    {
        var output = TestContext.Current.TestOutputHelper;
        output?.WriteLine($"cluster: {cluster.Description}");
        var prompts = ModelFolder.Open(ClusterFixture.Model).Encode(PromptFile.Read(Path.Combine(ClusterFixture.Model, "test.jsonl")).Take(60));
        var options = new GenerationOptions { SamplesPerPrompt = 4, MaxNewTokens = 96, Seed = 5, Sampling = new() { Temperature = 0.9 } };
        var requests = RolloutEngine.Requests(prompts, options);
        List<RolloutResult> expected;
        using (var engine = RolloutEngine.Open(ClusterFixture.Model)) expected = [.. engine.Generate(requests, cancel: TestContext.Current.CancellationToken)];

        var log = new List<string>();
        using var generator = ClusterGenerator.Connect(cluster.Connection, line => { lock (log) log.Add(line); });
        var got = new List<RolloutResult>();
        using (var rollouts = generator.Generate(requests, cancel: TestContext.Current.CancellationToken).GetEnumerator())
        {
            while (got.Count < 8 && rollouts.MoveNext()) got.Add(rollouts.Current);

            // The worker holding the most groups right now dies without a word.
            var holding = generator.Workers.Where(w => w.Live && w.Holding > 0).ToDictionary(w => w.Address, w => w.Holding);
            var victim = cluster.Workers.Skip(cluster.Dev ? 1 : 0).Where(w => holding.ContainsKey(w.Address)).MaxBy(w => holding[w.Address]);
            Assert.NotNull(victim);
            cluster.Kill(victim);

            // Another joins while the run waits (results are taken in order, so the run cannot finish before it is read on).
            var joiner = cluster.StartWorker();
            while (!generator.Workers.Any(w => w.Address == joiner.Address && w.Live)) Thread.Sleep(100);

            while (rollouts.MoveNext()) got.Add(rollouts.Current);
            var workers = generator.Workers.ToDictionary(w => w.Address);
            lock (log) output?.WriteLine(string.Join('\n', log));
            Assert.False(workers[victim.Address].Live);
            Assert.True(workers[victim.Address].Reassigned > 0, "the killed worker held no group");
            Assert.True(workers[joiner.Address].Groups > 0, "the worker that joined took no group");
        }

        // Each (prompt, sample) exactly once, in order, and what the local engine gives.
        Assert.Equal(expected.Select(r => (r.PromptId, r.Sample)), got.Select(r => (r.PromptId, r.Sample)));
        output?.WriteLine($"largest relative differences: {RolloutComparison.AssertSameLines(JsonlLines.Of(expected, options), JsonlLines.Of(got, options))}");
    }

}
