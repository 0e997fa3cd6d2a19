namespace Rollout.Bench.Peer;

/// <summary>What a worker process generates: the same prompts, batch and budget for every engine.</summary>
public sealed record WorkerRequest(string ModelDir, string ModelName, int Batch, int NewTokens)
{
    /// <summary>Prompts of distinct lengths on purpose, so left padding is exercised; answers feed the L2T probes.</summary>
    private static readonly (string Text, string Answer)[] PromptSet =
    [
        ("The quick brown fox jumps over the lazy dog. Then", "it slept in the warm afternoon sun"),
        ("def fibonacci(n):\n    if n < 2:\n        return n\n", "return fibonacci(n - 1) + fibonacci(n - 2)"),
        ("Compute 12 + 7 - 5 + 30.", "44"),
        ("Once upon a time, in a small village by the sea,", "there lived an old fisherman"),
    ];

    public string[] Prompts => Enumerable.Range(0, Batch).Select(i => PromptSet[i % PromptSet.Length].Text).ToArray();
    public string[] Answers => Enumerable.Range(0, Batch).Select(i => PromptSet[i % PromptSet.Length].Answer).ToArray();
}
