using Rollout.Models.Tasks;
using Rollout.Models.Tasks.Arith;

namespace Rollout.Bench.Peer;

/// <summary>What a worker process generates: the same prompts, batch and budget for every engine.</summary>
public sealed record WorkerRequest(string ModelDir, string ModelName, int Batch, int NewTokens)
{
    /// <summary>Problems in the task workload, each sampled <see cref="TaskSamples"/> times.</summary>
    public const int TaskProblems = 64;
    public const int TaskSamples = 8;

    /// <summary>Prompts of distinct lengths on purpose, so left padding is exercised; answers feed the L2T probes.</summary>
    private static readonly (string Text, string Answer)[] PromptSet =
    [
        ("The quick brown fox jumps over the lazy dog. Then", "it slept in the warm afternoon sun"),
        ("def fibonacci(n):\n    if n < 2:\n        return n\n", "return fibonacci(n - 1) + fibonacci(n - 2)"),
        ("Compute 12 + 7 - 5 + 30.", "44"),
        ("Once upon a time, in a small village by the sea,", "there lived an old fisherman"),
    ];

    /// <summary>
    /// The shipped arithmetic model runs the workload it was trained for instead of fixed-length greedy text:
    /// held-out problems, <see cref="TaskSamples"/> samples each at temperature 1, each rollout ending at EOS.
    /// </summary>
    public bool IsTask => ModelName == BenchModels.ArithTask;

    public string[] Prompts => IsTask ? TaskSet.Select(p => p.Prompt).ToArray() : FixedSet.Select(p => p.Text).ToArray();
    public string[] Answers => IsTask ? TaskSet.Select(p => p.Answer).ToArray() : FixedSet.Select(p => p.Answer).ToArray();

    /// <summary>The prompt set cycled over the batch, each row numbered so no two rows are the same prompt (identical rows
    /// would decode identically under greedy, and L2T computes identical answer probes once).</summary>
    private IEnumerable<(string Text, string Answer)> FixedSet => Enumerable.Range(0, Batch)
        .Select(i => PromptSet[i % PromptSet.Length] with { Text = $"{i + 1}. {PromptSet[i % PromptSet.Length].Text}" });

    private static IEnumerable<TaskProblem> TaskSet =>
        new ArithGenerator(seed: 2026).Generate(DataSplit.Test, TaskProblems).Select(p => p.ToTaskProblem());
}
