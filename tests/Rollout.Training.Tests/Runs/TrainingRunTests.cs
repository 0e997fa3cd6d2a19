using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Rollout.Tests;
using static Rollout.Tests.CliRun;

namespace Rollout.Training.Tests.Runs;

/// <summary>`rollout train` end to end on the shipped model: what it writes, kill -9 and --resume, the policy folder in eval.</summary>
public sealed class TrainingRunTests
{
    private static readonly string Model = Path.Combine(RepoPaths.Root, "models", "arith-qwen2");

    private static string[] Train(string outDir, string update) =>
    [
        "train", "--model", Model, "--task", "arith", "--out", outDir, "--update", update, "--advantage", "l2t-rtg",
        "--iterations", "4", "--prompts", "4", "--n", "4", "--max-new-tokens", "96", "--eval-every", "2", "--eval-problems", "12", "--seed", "5",
        // A large step so the policy visibly moves in four iterations.
        "--lr", update == "core" ? "0.05" : "0.001",
    ];

    [Theory]
    [InlineData("core")]
    [InlineData("full")]
    public void A_run_killed_at_any_moment_and_resumed_writes_what_an_uninterrupted_run_writes(string update)
    {
        var whole = RepoPaths.NewTempDir($"train-{update}-whole");
        var (code, _, err) = Run(Train(whole, update));
        Assert.True(code == 0, err);
        foreach (var file in new[] { "metrics.jsonl", "eval.jsonl", "curves.png", "checkpoint.bin", "policy/config.json", "policy/onnx/model.onnx", "policy/tokenizer.json" })
            Assert.True(File.Exists(Path.Combine(whole, file)), $"{file} is missing");
        var metrics = File.ReadAllLines(Path.Combine(whole, "metrics.jsonl"));
        Assert.Equal([1, 2, 3, 4], metrics.Select(l => JsonNode.Parse(l)!["iteration"]!.GetValue<int>()));
        string[] fields = ["iteration", "reward", "outcome_accuracy", "mean_tokens", "mean_episodes", "redundant_share", "fit_gain", "penalty",
            "advantage_clip_share", "update_norm", "seconds"];
        Assert.Equal(fields, JsonNode.Parse(metrics[0])!.AsObject().Select(p => p.Key));
        Assert.Equal(["sample", "probes", "score", "update"], JsonNode.Parse(metrics[0])!["seconds"]!.AsObject().Select(p => p.Key));
        Assert.All(metrics, l => Assert.True(JsonNode.Parse(l)!["update_norm"]!.GetValue<double>() > 0));
        Assert.Equal([0, 2, 4], File.ReadAllLines(Path.Combine(whole, "eval.jsonl")).Select(l => JsonNode.Parse(l)!["iteration"]!.GetValue<int>()));

        // The same run in a process of its own, killed (SIGKILL) once it has written its first iteration, then resumed.
        var killed = RepoPaths.NewTempDir($"train-{update}-killed");
        using (var process = Process.Start(new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "rollout.dll"), .. Train(killed, update)])
               { RedirectStandardError = true, RedirectStandardOutput = true })!)
        {
            var metricsPath = Path.Combine(killed, "metrics.jsonl");
            var clock = Stopwatch.StartNew();
            while (!process.HasExited && !(File.Exists(metricsPath) && File.ReadAllText(metricsPath).Contains('\n')) && clock.Elapsed < TimeSpan.FromMinutes(3))
                Thread.Sleep(5);
            Assert.False(process.HasExited, "the run ended before it could be killed");
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
        Assert.False(Directory.Exists(Path.Combine(killed, "policy")));
        (code, _, err) = Run([.. Train(killed, update), "--resume"]);
        Assert.True(code == 0, err);

        Assert.Equal(WithoutTimings(metrics), WithoutTimings(File.ReadAllLines(Path.Combine(killed, "metrics.jsonl"))));
        Assert.Equal(File.ReadAllLines(Path.Combine(whole, "eval.jsonl")), File.ReadAllLines(Path.Combine(killed, "eval.jsonl")));
        var policy = Directory.GetFiles(Path.Combine(whole, "policy"), "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(whole, f)).Order().ToList();
        Assert.Equal(policy, Directory.GetFiles(Path.Combine(killed, "policy"), "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(killed, f)).Order());
        foreach (var file in policy)
            Assert.True(File.ReadAllBytes(Path.Combine(whole, file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(killed, file))), $"{file} differs");

        // The policy folder is a model folder like any other: eval opens it, and greedy decoding of the held-out set
        // gives what the run's own last evaluation (base + core, or the updated weights) gave.
        var report = Path.Combine(whole, "policy-eval.json");
        (code, _, err) = Run("eval", "--model", Path.Combine(whole, "policy"), "--problems", "12", "--problem-seed", "1000004", "--max-new-tokens", "96", "--json", report);
        Assert.True(code == 0, err);
        var last = JsonNode.Parse(File.ReadAllLines(Path.Combine(whole, "eval.jsonl"))[^1])!;
        var evaluated = JsonNode.Parse(File.ReadAllText(report))!;
        Assert.Equal(last["accuracy"]!.GetValue<double>(), evaluated["accuracy"]!.GetValue<double>(), 9);
        Assert.Equal(last["mean_tokens"]!.GetValue<double>(), evaluated["mean_tokens"]!.GetValue<double>(), 9);
    }

    private static string[] WithoutTimings(IEnumerable<string> lines) =>
        [.. lines.Select(l => { var o = JsonNode.Parse(l)!.AsObject(); o.Remove("seconds"); return o.ToJsonString(); })];

    [Fact]
    public void Bad_input_ends_with_one_line_and_exit_2()
    {
        var used = RepoPaths.NewTempDir("train-used");
        File.WriteAllText(Path.Combine(used, "notes.txt"), "mine");
        AssertRefused(["train", "--model", Model, "--out", used], "--out", "not empty", "resume");
        var fresh = Path.Combine(RepoPaths.NewTempDir("train-bad"), "run");
        AssertRefused(["train", "--model", Model, "--out", fresh, "--update", "half"], "--update", "half");
        AssertRefused(["train", "--model", Model, "--out", fresh, "--advantage", "ppo"], "--advantage", "ppo");
        AssertRefused(["train", "--model", Model, "--out", fresh, "--iterations", "0"], "--iterations");
        AssertRefused(["train", "--model", Model, "--out", fresh, "--lr", "-1"], "--lr");
        AssertRefused(["train", "--model", Model, "--out", fresh, "--task", "chess"], "--task", "chess");
        Assert.Equal("mine", File.ReadAllText(Path.Combine(used, "notes.txt")));
    }

    [Fact]
    public void Resume_refuses_a_run_folder_of_other_settings_naming_them()
    {
        var dir = Path.Combine(RepoPaths.NewTempDir("train-other"), "run");
        string[] run = ["train", "--model", Model, "--out", dir, "--iterations", "1", "--prompts", "2", "--n", "2", "--eval-every", "0", "--max-new-tokens", "64"];
        var (code, _, err) = Run(run);
        Assert.True(code == 0, err);
        AssertRefused([.. run, "--resume", "--lr", "0.5"], "another run", "lr", "0.5");
        AssertRefused([.. run, "--resume", "--answer-cue", "Answer:\n"], "answer-cue");
        // More iterations of the same run are fine.
        (code, _, err) = Run([.. run.Select(a => a == "1" ? "2" : a), "--resume"]);
        Assert.True(code == 0, err);
        Assert.Equal(2, File.ReadAllLines(Path.Combine(dir, "metrics.jsonl")).Length);
    }

    private static void AssertRefused(string[] args, params string[] mentions)
    {
        var (code, _, err) = Run(args);
        Assert.Equal(2, code);
        Assert.Single(err.TrimEnd().Split('\n'));
        Assert.DoesNotContain("   at ", err);
        foreach (var m in mentions) Assert.Contains(m, err);
    }
}
