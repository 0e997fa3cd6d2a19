using Rollout.Models.Tasks;
using Rollout.Models.Tasks.Arith;

namespace Rollout.Bench.Peer;

/// <summary>
/// One of issue #9's workloads: the model, prompts and token budget every engine gets. Greedy workloads ignore EOS, so
/// every row generates the budget; a sampled one draws <see cref="SamplesPerPrompt"/> rollouts per prompt at T = 1,
/// each ending at EOS. A run times <see cref="Passes"/> generations of it, enough for a measurement of
/// <see cref="MinTokens"/> tokens or more.
/// </summary>
/// <param name="Lanes">The decode lanes rollout runs with (see <c>RolloutEngine.Open</c>): 2 for the 2.4 M task model, whose forward
/// passes alone do not keep two cores busy; 1 for the real-vocabulary model, whose matrices do.</param>
public sealed record Workload(string Name, string Model, int Prompts, int SamplesPerPrompt, int NewTokens, int Batch,
    bool Sampled, int Passes, string[] Engines, int Lanes = 1)
{
    public const int MinTokens = 8192;
    /// <summary>The token count of a --quick run's measurement, to smoke-test the harness in seconds.</summary>
    public const int QuickMinTokens = 256;
    public static readonly string[] Names = ["fixed", "long", "task"];

    /// <summary>
    /// The workloads named, in the order given. "long" is two: 16 × 2048 on every engine, and rollout's own 16 × 128
    /// on the same folder, for the issue's rate at 2048 over the rate at 128. --quick cuts the token counts.
    /// </summary>
    public static IEnumerable<Workload> Select(IEnumerable<string> names, bool quick)
    {
        int minTokens = quick ? QuickMinTokens : MinTokens;
        foreach (var name in names)
            switch (name)
            {
                case "fixed":
                    yield return Greedy("fixed", newTokens: quick ? 16 : 256, minTokens, PeerEngines.All);
                    break;
                case "long":
                    yield return Greedy("long", newTokens: quick ? 64 : 2048, minTokens, PeerEngines.All);
                    yield return Greedy("long-128", newTokens: quick ? 8 : 128, minTokens, [PeerEngines.Rollout]);
                    break;
                case "task":
                    // Rows end at EOS, so the token count is the model's; 64 × 8 of the arith task is ≈ 25k tokens. A pass takes
                    // ~2 s, and the first after the warm-up still runs some .NET code the tiered JIT has not finished (it
                    // measured ~15% slower than the next): 3 timed passes measure the steady state an RL trainer runs in.
                    yield return new Workload("task", BenchModels.ArithTask, Prompts: quick ? 8 : 64, SamplesPerPrompt: 8,
                        NewTokens: 200, Batch: 32, Sampled: true, Passes: quick ? 1 : 3, PeerEngines.All, Lanes: 2);
                    break;
                default:
                    throw new ArgumentException($"unknown workload '{name}' ({string.Join(", ", Names)})");
            }
    }

    /// <summary>16 prompts on the real-vocabulary model, greedy, EOS ignored.</summary>
    private static Workload Greedy(string name, int newTokens, int minTokens, string[] engines) =>
        new(name, BenchModels.RealVocab, Prompts: 16, SamplesPerPrompt: 1, newTokens, Batch: 16, Sampled: false,
            Passes: (minTokens + 16 * newTokens - 1) / (16 * newTokens), engines);

    /// <summary>The prompt texts and, for the task, their reference answers, which the L2T probes are fed.</summary>
    public (string Text, string? Answer)[] PromptSet() => Sampled
        ? new ArithGenerator(seed: 2026).Generate(DataSplit.Test, Prompts).Select(p => p.ToTaskProblem()).Select(p => (p.Prompt, (string?)p.Answer)).ToArray()
        : Enumerable.Range(0, Prompts).Select(i => ($"{i + 1}. {FixedPrompts[i % FixedPrompts.Length]}", (string?)null)).ToArray();

    /// <summary>Prompts of distinct lengths on purpose, so left padding is exercised. Each row is numbered so no two rows are the
    /// same prompt (identical rows would decode identically under greedy).</summary>
    private static readonly string[] FixedPrompts =
    [
        "The quick brown fox jumps over the lazy dog. Then",
        "def fibonacci(n):\n    if n < 2:\n        return n\n",
        "Compute 12 + 7 - 5 + 30.",
        "Once upon a time, in a small village by the sea,",
    ];

    /// <summary>
    /// Tokens per row of the untimed warm-up pass every engine makes over all the prompts: the whole workload when it is
    /// short (the task), else 32, enough for .NET's tiered JIT and ONNX Runtime's allocations to settle, so the clock
    /// measures steady state and not start-up.
    /// </summary>
    public int WarmupTokens => Sampled ? NewTokens : Math.Min(NewTokens, 32);

    private string TimedPasses => $"{Passes} timed pass{(Passes > 1 ? "es" : "")} per run";

    public string Description => (Sampled
        ? $"{Prompts} held-out problems × {SamplesPerPrompt} samples, T = 1, seed 1, rows end at EOS (at most {NewTokens} tokens), batch {Batch}, {TimedPasses}, with reference answers (L2T runs its probes)"
        : $"{Prompts} prompts × {NewTokens} new tokens, greedy, EOS ignored, batch {Batch}, {TimedPasses}, no reference answers (L2T runs but for the probes)")
        + $"; rollout decodes in {Lanes} lane{(Lanes > 1 ? "s" : "")}";
}
