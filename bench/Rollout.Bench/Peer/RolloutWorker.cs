using System.Diagnostics;
using Rollout.Engine;
using Rollout.Engine.Generation;
using Rollout.Engine.Prompts;
using Rollout.Engine.Sampling;

namespace Rollout.Bench.Peer;

/// <summary>
/// Times this engine on a workload (see <see cref="Workload"/>). With <c>l2t</c>, the same generation also scores every
/// rollout (features, rewards, and the answer probes where the prompts carry reference answers).
/// </summary>
public static class RolloutWorker
{
    public static Measurement Run(WorkerRequest request, bool l2t)
    {
        var workload = request.Workload;
        using var engine = RolloutEngine.Open(request.ModelDir, lanes: workload.Lanes);
        var prompts = engine.Encode(workload.PromptSet().Select((p, i) => new Prompt($"p{i}", p.Text, null, p.Answer, null)));
        GenerationOptions Options(int newTokens) => new()
        {
            Sampling = workload.Sampled ? new SamplingParams { Temperature = 1.0 } : new SamplingParams { Greedy = true },
            SamplesPerPrompt = workload.SamplesPerPrompt,
            Seed = 1,
            MaxNewTokens = newTokens,
            IgnoreEos = !workload.Sampled,
            BatchSize = workload.Batch,
            L2T = l2t ? new L2TGeneration() : null,
        };
        // Warm-up: graph initialisation, tiered JIT, and with L2T the head SVD and kernel compilation.
        _ = engine.Generate(prompts, Options(workload.WarmupTokens)).ToList();

        long tokens = 0;
        double ttftMs = 0;
        int[] first = [];
        var clock = Stopwatch.StartNew();
        for (int pass = 0; pass < workload.Passes; pass++)
        {
            var rollouts = engine.Generate(prompts, Options(workload.NewTokens), _ =>
            {
                if (tokens++ == 0) ttftMs = clock.Elapsed.TotalMilliseconds;
            }).ToList();
            first = rollouts[0].TokenIds;
        }
        double seconds = clock.Elapsed.TotalSeconds;
        return new Measurement(request.Engine, workload.Name, tokens, seconds, ttftMs, Measurement.PeakRssOfThisProcessMb(), first);
    }
}
