using System.Diagnostics;
using Rollout.Engine;
using Rollout.Engine.Generation;
using Rollout.Engine.Prompts;
using Rollout.Engine.Sampling;

namespace Rollout.Bench.Peer;

/// <summary>
/// Times this engine: greedy, EOS ignored so every row generates exactly the budget (or, for the task
/// workload, sampled groups ending at EOS; see <see cref="WorkerRequest.IsTask"/>). As <see cref="L2T"/>, the same
/// generation also scores every rollout (features, probes, rewards); as <see cref="L2TWithoutProbes"/>, the prompts
/// carry no reference answers, so everything but the answer probes runs.
/// </summary>
public static class RolloutWorker
{
    public const string Plain = "rollout";
    public const string L2T = "rollout --l2t";
    public const string L2TWithoutProbes = "rollout --l2t, no answers";

    public static Measurement Run(WorkerRequest request, string engineName)
    {
        bool l2t = engineName != Plain, probes = engineName == L2T;
        using var engine = RolloutEngine.Open(request.ModelDir);
        var prompts = engine.Encode(request.Prompts.Select((text, i) => new Prompt($"p{i}", text, null, probes ? request.Answers[i] : null, null)));
        GenerationOptions Options(int newTokens) => new()
        {
            Sampling = request.IsTask ? new SamplingParams { Temperature = 1.0 } : new SamplingParams { Greedy = true },
            SamplesPerPrompt = request.IsTask ? WorkerRequest.TaskSamples : 1,
            Seed = 1,
            MaxNewTokens = newTokens,
            IgnoreEos = !request.IsTask,
            BatchSize = request.Batch,
            L2T = l2t ? new L2TGeneration() : null,
        };
        _ = engine.Generate(prompts, Options(2)).ToList(); // warm-up: graph initialisation, and with L2T the head SVD and kernel compilation

        long tokens = 0;
        double ttftMs = 0;
        var clock = Stopwatch.StartNew();
        var rollouts = engine.Generate(prompts, Options(request.NewTokens), _ =>
        {
            if (tokens++ == 0) ttftMs = clock.Elapsed.TotalMilliseconds;
        }).ToList();
        double seconds = clock.Elapsed.TotalSeconds;
        return new Measurement(engineName, request.ModelName, request.Batch, request.NewTokens, tokens, seconds, ttftMs,
            Measurement.PeakRssOfThisProcessMb(), rollouts[0].TokenIds);
    }
}
