using System.Diagnostics;
using System.Text.Json;
using Rollout.Engine.Tests.Support;
using Rollout.Tests;
using static Rollout.Tests.CliRun;

namespace Rollout.Engine.Tests.Cli;

/// <summary>
/// Outputs that survive interruption and describe themselves: `generate` killed (SIGKILL) or interrupted (SIGINT,
/// SIGTERM) and resumed gives the bytes of an uninterrupted run; `score` of generate's output alone gives generate's numbers.
/// </summary>
[Collection(EngineModelsCollection.Name)]
public sealed class ResumeAndRescoreTests(EngineModels models) : IDisposable
{
    private readonly string _dir = RepoPaths.NewTempDir("resume");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly string Shipped = Path.Combine(RepoPaths.Root, "models", "arith-qwen2");

    /// <summary>The first held-out problems shipped with the model, with their answers.</summary>
    private string ArithPrompts(int count)
    {
        var path = Path.Combine(_dir, $"prompts-{count}.jsonl");
        File.WriteAllLines(path, File.ReadLines(Path.Combine(Shipped, "test.jsonl")).Take(count));
        return path;
    }

    private string[] Generate(string prompts, string outPath) =>
    [
        "generate", "--model", Shipped, "--prompts", prompts, "--out", outPath, "--n", "4", "--batch-size", "4",
        "--max-new-tokens", "96", "--seed", "11", "--l2t", "--advantage", "l2t-rtg",
    ];

    [Theory]
    [InlineData("KILL", null)]
    [InlineData("INT", 130)]
    [InlineData("TERM", 143)]
    public void A_run_stopped_by_a_signal_and_resumed_writes_the_bytes_of_an_uninterrupted_run(string signal, int? expectedCode)
    {
        var prompts = ArithPrompts(48);
        var whole = Path.Combine(_dir, $"whole-{signal}.jsonl");
        var (code, _, err) = Run(Generate(prompts, whole));
        Assert.True(code == 0, err);

        var stopped = Path.Combine(_dir, $"stopped-{signal}.jsonl");
        using (var process = Process.Start(new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "rollout.dll"), .. Generate(prompts, stopped)])
               { RedirectStandardError = true, RedirectStandardOutput = true })!)
        {
            var clock = Stopwatch.StartNew();
            while (!process.HasExited && !(File.Exists(stopped + ".partial") && new FileInfo(stopped + ".partial").Length > 0) && clock.Elapsed < TimeSpan.FromMinutes(3))
                Thread.Sleep(2);
            Assert.False(process.HasExited, "the run ended before it could be stopped");
            if (signal == "KILL") process.Kill(entireProcessTree: true);
            else Process.Start("kill", [$"-{signal}", process.Id.ToString()])!.WaitForExit();
            process.WaitForExit();
            if (expectedCode is int expected)
            {
                Assert.Equal(expected, process.ExitCode);
                var message = process.StandardError.ReadToEnd().Trim();
                Assert.Single(message.Split('\n'));
                Assert.Contains("--resume", message);
                // Every line written is whole: the file ends with its last line's newline.
                var partial = File.ReadAllBytes(stopped + ".partial");
                Assert.Equal((byte)'\n', partial[^1]);
            }
        }
        Assert.False(File.Exists(stopped));
        int kept = File.ReadAllText(stopped + ".partial").Count(c => c == '\n');
        Assert.InRange(kept, 0, 48 * 4 - 1);

        (code, _, err) = Run([.. Generate(prompts, stopped), "--resume"]);
        Assert.True(code == 0, err);
        Assert.False(File.Exists(stopped + ".partial"));
        Assert.True(File.ReadAllBytes(whole).AsSpan().SequenceEqual(File.ReadAllBytes(stopped)), "the resumed file differs from the uninterrupted one");
    }

    [Fact]
    public void Resume_refuses_a_partial_file_of_other_settings_or_none()
    {
        var prompts = ArithPrompts(2);
        var outPath = Path.Combine(_dir, "out.jsonl");
        var (code, _, err) = Run([.. Generate(prompts, outPath), "--resume"]);
        Assert.Equal(2, code);
        Assert.Contains("nothing to resume", err);

        // A .partial written with another seed cannot be continued: its rollouts are not this run's.
        Assert.Equal(0, Run(Generate(prompts, outPath)).Code);
        File.Move(outPath, outPath + ".partial");
        (code, _, err) = Run([.. Generate(prompts, outPath)[..^5], "--seed", "12", "--l2t", "--advantage", "l2t-rtg", "--resume"]);
        Assert.Equal(2, code);
        Assert.Contains("other settings", err);
        Assert.Single(err.TrimEnd().Split('\n'));
    }

    [Fact]
    public void Score_of_generates_output_alone_reproduces_its_logprobs_rewards_and_advantages()
    {
        var prompts = ArithPrompts(6);
        var generated = Path.Combine(_dir, "generated.jsonl");
        // Settings score must read from the file: a temperature, a token budget and an advantage mode that are not its defaults.
        var (code, _, err) = Run("generate", "--model", Shipped, "--prompts", prompts, "--out", generated, "--n", "4", "--temperature", "0.7",
            "--max-new-tokens", "80", "--seed", "3", "--l2t", "--advantage", "length", "--answer-cue", "</think>\n#### ");
        Assert.True(code == 0, err);
        var scored = Path.Combine(_dir, "scored.jsonl");
        (code, _, err) = Run("score", "--model", Shipped, "--rollouts", generated, "--out", scored);
        Assert.True(code == 0, err);

        var expected = File.ReadAllLines(generated).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var actual = File.ReadAllLines(scored).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(24, expected.Count);
        Assert.Equal(expected.Count, actual.Count);
        Assert.Contains(expected, l => l.GetProperty("outcome_reward").GetDouble() > 0.5); // some are right, so the answers were used
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].GetProperty("token_ids").GetRawText(), actual[i].GetProperty("token_ids").GetRawText());
            Assert.Equal(expected[i].GetProperty("outcome_reward").GetDouble(), actual[i].GetProperty("outcome_reward").GetDouble());
            foreach (var field in new[] { "logprobs", "advantages", "token_rewards" })
            {
                var a = expected[i].GetProperty(field).EnumerateArray().Select(x => x.GetDouble()).ToArray();
                var b = actual[i].GetProperty(field).EnumerateArray().Select(x => x.GetDouble()).ToArray();
                Assert.Equal(a.Length, b.Length);
                // Teacher forcing runs one prefill where sampling ran cached steps: float32 sums in another order.
                Assert.Equal(a, b, (x, y) => Math.Abs(x - y) < 2e-3);
            }
        }
    }

    [Fact]
    public void Score_refuses_completions_without_answers_instead_of_scoring_them_wrong()
    {
        var completions = Path.Combine(_dir, "no-answers.jsonl");
        File.WriteAllLines(completions, ["""{"prompt_id": "a", "prompt": "Compute 1 + 2.", "completion": "3"}"""]);
        var (code, _, err) = Run("score", "--model", models.Dir("llama"), "--rollouts", completions, "--out", Path.Combine(_dir, "s.jsonl"));
        Assert.Equal(2, code);
        Assert.Contains("no-answers.jsonl:1", err);
        Assert.Contains("no answer", err);
        Assert.Single(err.TrimEnd().Split('\n'));
    }
}
