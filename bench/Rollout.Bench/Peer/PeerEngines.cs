namespace Rollout.Bench.Peer;

/// <summary>The engines compared, and which worker measures each.</summary>
public static class PeerEngines
{
    public const string Rollout = "rollout";
    /// <summary>The same generation, also scoring every rollout (features, rewards, and answer probes where prompts carry answers).</summary>
    public const string RolloutL2T = "rollout --l2t";
    public const string GenAi = "onnxruntime-genai";

    /// <summary>In the order runs alternate within a round (rollout, genai, rollout --l2t; reversed every other round).</summary>
    public static readonly string[] All = [Rollout, GenAi, RolloutL2T];

    public static Measurement Measure(string engine, WorkerRequest request) => engine switch
    {
        Rollout => RolloutWorker.Run(request, l2t: false),
        RolloutL2T => RolloutWorker.Run(request, l2t: true),
        GenAi => GenAiWorker.Run(request),
        _ => throw new ArgumentException($"unknown engine '{engine}' ({string.Join(", ", All)})"),
    };
}
