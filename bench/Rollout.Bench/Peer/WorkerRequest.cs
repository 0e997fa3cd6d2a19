namespace Rollout.Bench.Peer;

/// <summary>What a worker process generates: the same prompts, batch and budget for every engine.</summary>
public sealed record WorkerRequest(string ModelDir, string ModelName, int Batch, int NewTokens)
{
    private static readonly string[] PromptTexts =
    [
        "The quick brown fox jumps over the lazy dog. Then",
        "def fibonacci(n):\n    if n < 2:\n        return n\n",
        "Compute 12 + 7 - 5 + 30.",
        "Once upon a time, in a small village by the sea,",
    ];

    /// <summary>Distinct lengths on purpose, so left padding is exercised.</summary>
    public string[] Prompts => Enumerable.Range(0, Batch).Select(i => PromptTexts[i % PromptTexts.Length]).ToArray();
}
