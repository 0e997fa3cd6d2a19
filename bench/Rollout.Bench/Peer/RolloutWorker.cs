using System.Diagnostics;
using Rollout.Engine;
using Rollout.Engine.Generation;
using Rollout.Engine.Prompts;
using Rollout.Engine.Sampling;

namespace Rollout.Bench.Peer;

/// <summary>Times this engine: greedy, EOS ignored so every row generates exactly the budget.</summary>
public static class RolloutWorker
{
    public static Measurement Run(WorkerRequest request)
    {
        using var engine = RolloutEngine.Open(request.ModelDir);
        var prompts = engine.Encode(request.Prompts.Select((text, i) => new Prompt($"p{i}", text, null, null, null)));
        GenerationOptions Options(int newTokens) => new()
        {
            Sampling = new SamplingParams { Greedy = true },
            MaxNewTokens = newTokens,
            IgnoreEos = true,
            BatchSize = request.Batch,
        };
        _ = engine.Generate(prompts, Options(2)).ToList(); // warm-up: first-run allocations and graph initialisation

        long tokens = 0;
        double ttftMs = 0;
        var clock = Stopwatch.StartNew();
        var rollouts = engine.Generate(prompts, Options(request.NewTokens), () =>
        {
            if (tokens++ == 0) ttftMs = clock.Elapsed.TotalMilliseconds;
        }).ToList();
        double seconds = clock.Elapsed.TotalSeconds;
        return new Measurement("rollout", request.ModelName, request.Batch, request.NewTokens, tokens, seconds, ttftMs,
            Measurement.PeakRssOfThisProcessMb(), rollouts[0].TokenIds);
    }
}
