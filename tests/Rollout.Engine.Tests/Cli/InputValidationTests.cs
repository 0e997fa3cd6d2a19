using System.Text.Json.Nodes;
using Rollout.Engine.Tests.Support;
using Rollout.Tests;
using static Rollout.Tests.CliRun;

namespace Rollout.Engine.Tests.Cli;

/// <summary>
/// Every option and input is checked before a model is loaded or any work starts, and bad ones end as one line
/// naming them with exit code 2, never as an "internal error", and leave no output file behind.
/// </summary>
[Collection(EngineModelsCollection.Name)]
public sealed class InputValidationTests(EngineModels models) : IDisposable
{
    private readonly string _dir = RepoPaths.NewTempDir("validation");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string ArithModel => Path.Combine(RepoPaths.Root, "models", "arith-qwen2");

    private void AssertNoOutput(string outPath)
    {
        Assert.False(File.Exists(outPath), $"{outPath} was written");
        Assert.False(File.Exists(outPath + ".partial"), $"{outPath}.partial was left");
        Assert.False(File.Exists(outPath + ".lock"), $"{outPath}.lock was left");
    }

    [Theory]
    [InlineData("--alpha", "nan")]
    [InlineData("--beta", "1e309")]
    [InlineData("--alpha", "-1")]
    [InlineData("--beta", "-0.5")]
    [InlineData("--rank", "0")]
    public void Generate_refuses_an_L2T_number_that_is_not_finite_or_out_of_range_and_writes_nothing(string option, string value)
    {
        var outPath = Path.Combine(_dir, "out.jsonl");
        string[] rank = option == "--rank" ? [] : ["--rank", "4"];
        var (code, _, err) = Run(["generate", "--model", models.Dir("llama"), "--prompts", PromptFile(_dir, """{"id":"a","prompt":"x","answer":"3"}"""),
            "--out", outPath, "--max-new-tokens", "3", "--l2t", .. rank, option, value]);
        Assert.Equal(2, code);
        AssertOneLineError(err, option, value == "1e309" ? "Infinity" : value == "nan" ? "NaN" : value);
        AssertNoOutput(outPath);
    }

    [Fact]
    public void Score_and_train_refuse_a_non_finite_L2T_weight_before_any_work()
    {
        var rollouts = Path.Combine(_dir, "rollouts.jsonl");
        File.WriteAllText(rollouts, """{"prompt_id":"a","prompt":"x","token_ids":[5,6],"answer":"3"}""" + "\n");
        var outPath = Path.Combine(_dir, "scored.jsonl");
        var (code, _, err) = Run("score", "--model", models.Dir("llama"), "--rollouts", rollouts, "--out", outPath, "--rank", "4", "--beta", "nan");
        Assert.Equal(2, code);
        AssertOneLineError(err, "--beta", "NaN");
        AssertNoOutput(outPath);

        var run = Path.Combine(_dir, "run");
        (code, _, err) = Run("train", "--model", models.Dir("llama"), "--out", run, "--rank", "4", "--iterations", "1", "--alpha", "1e309");
        Assert.Equal(2, code);
        AssertOneLineError(err, "--alpha", "Infinity");
        Assert.False(Directory.Exists(run));
    }

    [Fact]
    public void A_tokenizer_with_ids_beyond_the_models_vocabulary_is_refused_when_the_folder_opens()
    {
        var dir = Path.Combine(_dir, "big-tokenizer");
        Directory.CreateDirectory(dir);
        foreach (var file in Directory.GetFiles(models.Dir("llama"), "*", SearchOption.AllDirectories))
        {
            var to = Path.Combine(dir, Path.GetRelativePath(models.Dir("llama"), file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }
        // The test models have 400 tokens; an added token at id 450 is past the embedding table.
        var tokenizer = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "tokenizer.json")))!;
        tokenizer["added_tokens"]!.AsArray().Add(new JsonObject
        {
            ["id"] = 450, ["content"] = "<extra>", ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false, ["normalized"] = false, ["special"] = true,
        });
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), tokenizer.ToJsonString());

        var outPath = Path.Combine(_dir, "out.jsonl");
        var (code, _, err) = Run("generate", "--model", dir, "--prompts", PromptFile(_dir, """{"id":"a","prompt":"hi <extra>"}"""), "--out", outPath, "--max-new-tokens", "2");
        Assert.Equal(2, code);
        AssertOneLineError(err, dir, "450", "400");
        AssertNoOutput(outPath);
    }

    [Fact]
    public void Score_refuses_a_completion_token_outside_the_vocabulary_naming_file_and_line()
    {
        var rollouts = Path.Combine(_dir, "rollouts.jsonl");
        File.WriteAllLines(rollouts, ["""{"prompt_id":"a","prompt":"x","answer":"1","token_ids":[5,6]}""", """{"prompt_id":"a","prompt":"x","answer":"1","token_ids":[5,99999]}"""]);
        var outPath = Path.Combine(_dir, "scored.jsonl");
        var (code, _, err) = Run("score", "--model", models.Dir("llama"), "--rollouts", rollouts, "--out", outPath, "--rank", "4");
        Assert.Equal(2, code);
        AssertOneLineError(err, rollouts + ":2", "99999", "400");
        AssertNoOutput(outPath);

        File.WriteAllLines(rollouts, ["""{"prompt_id":"a","prompt_token_ids":[1,-3],"answer":"1","token_ids":[5,6]}"""]);
        (code, _, err) = Run("score", "--model", models.Dir("llama"), "--rollouts", rollouts, "--out", outPath, "--rank", "4");
        Assert.Equal(2, code);
        AssertOneLineError(err, rollouts + ":1", "-3");
        AssertNoOutput(outPath);
    }

    [Theory]
    [InlineData("--problems", "0")]
    [InlineData("--problems", "-3")]
    [InlineData("--n", "0")]
    [InlineData("--max-new-tokens", "0")]
    public void Eval_refuses_a_count_below_one(string option, string value)
    {
        string[] problems = option == "--problems" ? [] : ["--problems", "2"];
        var (code, stdout, err) = Run(["eval", "--model", ArithModel, .. problems, option, value]);
        Assert.Equal(2, code);
        AssertOneLineError(err, option, value);
        Assert.Equal("", stdout);
    }

    [Fact]
    public void Eval_refuses_a_json_report_it_could_not_write_before_evaluating()
    {
        foreach (var json in new[] { Path.Combine(_dir, "missing-dir", "x.json"), _dir, "/proc/rollout-report.json" })
        {
            var (code, stdout, err) = Run("eval", "--model", ArithModel, "--problems", "2", "--json", json);
            Assert.Equal(2, code);
            AssertOneLineError(err, json);
            Assert.Equal("", stdout); // refused before the evaluation ran, not after
        }
        Assert.False(Directory.Exists(Path.Combine(_dir, "missing-dir")));
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void An_unwritable_output_folder_is_refused_before_any_work()
    {
        var readOnly = Path.Combine(_dir, "read-only");
        Directory.CreateDirectory(readOnly);
        File.SetUnixFileMode(readOnly, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        // Root ignores mode bits; sysfs refuses new files even to root.
        string folder = Writable(readOnly) ? "/sys" : readOnly;
        if (folder == "/sys" && (!Directory.Exists("/sys") || Writable("/sys")))
            Assert.Skip("no folder here refuses writes to this user (root ignores mode bits, and /sys is missing or writable)");

        var outPath = Path.Combine(folder, $"rollout-test-{Guid.NewGuid():N}.jsonl");
        var prompts = PromptFile(_dir, """{"id":"a","prompt":"x"}""");
        var (code, _, err) = Run("generate", "--model", models.Dir("gpt2"), "--prompts", prompts, "--out", outPath, "--max-new-tokens", "2");
        Assert.Equal(2, code);
        AssertOneLineError(err, outPath, "not writable");

        var rollouts = Path.Combine(_dir, "rollouts.jsonl");
        File.WriteAllText(rollouts, """{"prompt_id":"a","prompt":"x","token_ids":[5,6]}""" + "\n");
        (code, _, err) = Run("score", "--model", models.Dir("gpt2"), "--rollouts", rollouts, "--out", outPath, "--rank", "4");
        Assert.Equal(2, code);
        AssertOneLineError(err, outPath, "not writable");
        File.SetUnixFileMode(readOnly, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private static bool Writable(string folder)
    {
        var probe = Path.Combine(folder, $".probe-{Guid.NewGuid():N}");
        try { File.WriteAllText(probe, ""); File.Delete(probe); return true; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    [Theory]
    [InlineData("train")]
    [InlineData("model-new")]
    public void A_run_or_model_folder_that_cannot_be_made_is_refused(string verb)
    {
        const string folder = "/proc/rollout-test-folder";
        var (code, _, err) = verb == "train"
            ? Run("train", "--model", models.Dir("llama"), "--out", folder, "--rank", "4", "--iterations", "1")
            : Run("model", "new", "--arch", "llama", "--out", folder);
        Assert.Equal(2, code);
        AssertOneLineError(err, folder);
    }

    [Theory]
    [InlineData("folder-is-out")]
    [InlineData("folder-is-a-file")]
    [InlineData("proc")]
    public void A_feature_dump_folder_that_cannot_be_written_is_refused_before_any_work(string kind)
    {
        var outPath = Path.Combine(_dir, "out.jsonl");
        var prompts = PromptFile(_dir, """{"id":"a","prompt":"x","answer":"1"}""");
        var dump = kind switch { "folder-is-out" => outPath, "folder-is-a-file" => prompts, _ => "/proc/rollout-features" };
        var (code, _, err) = Run("generate", "--model", models.Dir("llama"), "--prompts", prompts, "--out", outPath, "--max-new-tokens", "2",
            "--l2t", "--rank", "4", "--dump-features", dump);
        Assert.Equal(2, code);
        AssertOneLineError(err, "--dump-features", dump);
        AssertNoOutput(outPath);
    }

    [Theory]
    [InlineData("-5")]
    [InlineData("400")]
    public void A_stop_token_id_outside_the_vocabulary_is_refused(string id)
    {
        var outPath = Path.Combine(_dir, "out.jsonl");
        var (code, _, err) = Run("generate", "--model", models.Dir("gpt2"), "--prompts", PromptFile(_dir, """{"id":"a","prompt":"x"}"""), "--out", outPath,
            "--max-new-tokens", "2", "--stop-token-id", id);
        Assert.Equal(2, code);
        AssertOneLineError(err, "--stop-token-id", id);
        AssertNoOutput(outPath);
    }

    [Fact]
    public void Score_refuses_a_bad_temperature_or_episode_mode_before_reading_the_model()
    {
        var rollouts = Path.Combine(_dir, "rollouts.jsonl");
        File.WriteAllText(rollouts, """{"prompt_id":"a","prompt":"x","token_ids":[5,6]}""" + "\n");
        // A missing model folder would be the first error if the options were checked after it was opened.
        var (code, _, err) = Run("score", "--model", "/nonexistent/model", "--rollouts", rollouts, "--out", Path.Combine(_dir, "o.jsonl"), "--temperature", "0");
        Assert.Equal(2, code);
        AssertOneLineError(err, "--temperature");
    }

    [Fact]
    public void Train_refuses_a_missing_model_before_making_its_run_folder_and_train_task_names_steps()
    {
        var run = Path.Combine(_dir, "run");
        var (code, _, err) = Run("train", "--model", "/nonexistent/model", "--out", run, "--iterations", "1");
        Assert.Equal(2, code);
        AssertOneLineError(err, "/nonexistent/model");
        Assert.False(Directory.Exists(run));

        var model = Path.Combine(_dir, "model");
        (code, _, err) = Run("model", "train-task", "--out", model, "--steps", "0", "--size", "tiny");
        Assert.Equal(2, code);
        AssertOneLineError(err, "--steps", "0");
        Assert.False(Directory.Exists(model));
    }
}
