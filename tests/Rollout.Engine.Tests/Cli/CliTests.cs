using System.Text.Json;
using Rollout.Engine.Generation;
using Rollout.Engine.Prompts;
using Rollout.Engine.Sampling;
using Rollout.Engine.Model;
using Rollout.Engine.Tests.Support;
using Rollout.Models.ModelFolder;
using Rollout.Models.Onnx;
using Rollout.Models.Weights;
using Rollout.Tests;

namespace Rollout.Engine.Tests.Cli;

[Collection(EngineModelsCollection.Name)]
public sealed class CliTests(EngineModels models) : IDisposable
{
    private readonly string _dir = RepoPaths.NewTempDir("cli");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Run(params string[] args) => CliRun.Run(args);

    private string Prompts(params string[] lines) => CliRun.PromptFile(_dir, lines);

    private static void AssertOneLineError(string err, params string[] mentions) => CliRun.AssertOneLineError(err, mentions);

    [Fact]
    public void Generate_writes_one_line_per_rollout_with_the_documented_schema()
    {
        var prompts = Prompts("""{"id": "a", "prompt": "Compute 1 + 2."}""", """{"id": "b", "messages": [{"role": "user", "content": "hi"}], "answer": "3"}""");
        var outPath = Path.Combine(_dir, "out.jsonl");
        var (code, stdout, _) = Run("generate", "--model", models.Dir("llama"), "--prompts", prompts, "--out", outPath,
            "--n", "3", "--max-new-tokens", "5", "--temperature", "0.9", "--seed", "4");

        Assert.Equal(0, code);
        Assert.Contains("prompts: 2, rollouts: 6, tokens: ", stdout);
        Assert.False(File.Exists(outPath + ".partial"));
        var lines = File.ReadAllLines(outPath).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["a", "a", "a", "b", "b", "b"], lines.Select(l => l.GetProperty("prompt_id").GetString()));
        Assert.Equal([0, 1, 2, 0, 1, 2], lines.Select(l => l.GetProperty("sample").GetInt32()));
        foreach (var l in lines)
        {
            string[] answer = l.GetProperty("prompt_id").GetString() == "b" ? ["answer"] : [];
            string[] fields = ["prompt_id", "sample", .. answer, "prompt_token_ids", "token_ids", "text", "finish_reason", "logprobs", "raw_logprobs", "entropies", "episodes", "format_ok", "settings"];
            Assert.Equal(fields, l.EnumerateObject().Select(p => p.Name));
            Assert.Equal("""{"greedy":false,"temperature":0.9,"top_k":0,"top_p":1,"min_p":0,"seed":4,"max_new_tokens":5,"episodes":"tags","l2t":null}""",
                l.GetProperty("settings").GetRawText());
            int n = l.GetProperty("token_ids").GetArrayLength();
            Assert.InRange(n, 1, 5);
            foreach (var perToken in new[] { "logprobs", "raw_logprobs", "entropies" }) Assert.Equal(n, l.GetProperty(perToken).GetArrayLength());
            Assert.Contains(l.GetProperty("finish_reason").GetString(), new[] { "eos", "stop", "length" });
        }
    }

    [Fact]
    public void Logprobs_k_writes_k_sorted_alternatives_per_token_with_penalties_on_and_score_refuses_what_it_cannot_reproduce()
    {
        var outPath = Path.Combine(_dir, "top.jsonl");
        var (code, _, err) = Run("generate", "--model", models.Dir("qwen2"), "--prompts", Prompts("""{"id": "a", "prompt": "Compute 1 + 2.", "answer": "3"}"""), "--out", outPath,
            "--n", "2", "--max-new-tokens", "6", "--seed", "3", "--logprobs", "3", "--repetition-penalty", "1.2", "--presence-penalty", "0.5", "--frequency-penalty", "0.1");
        Assert.True(code == 0, err);
        foreach (var line in File.ReadAllLines(outPath).Select(l => JsonDocument.Parse(l).RootElement))
        {
            Assert.Contains("top_logprobs", line.EnumerateObject().Select(p => p.Name));
            var tokens = line.GetProperty("token_ids").EnumerateArray().Select(t => t.GetInt32()).ToArray();
            var logprobs = line.GetProperty("logprobs").EnumerateArray().Select(t => t.GetSingle()).ToArray();
            var top = line.GetProperty("top_logprobs").EnumerateArray().ToArray();
            Assert.Equal(tokens.Length, top.Length);
            for (int t = 0; t < tokens.Length; t++)
            {
                var alternatives = top[t].EnumerateArray().ToArray();
                Assert.Equal(3, alternatives.Length);
                Assert.All(alternatives, a => Assert.Equal(["token_id", "logprob"], a.EnumerateObject().Select(p => p.Name)));
                var values = alternatives.Select(a => a.GetProperty("logprob").GetSingle()).ToArray();
                Assert.True(values[0] >= values[1] && values[1] >= values[2]);
                var sampled = alternatives.FirstOrDefault(a => a.GetProperty("token_id").GetInt32() == tokens[t]);
                if (sampled.ValueKind == JsonValueKind.Object) Assert.Equal(logprobs[t], sampled.GetProperty("logprob").GetSingle());
                else Assert.True(logprobs[t] <= values[2]);
            }
            // The line records what changed its numbers.
            var settings = line.GetProperty("settings");
            Assert.Equal(1.2, settings.GetProperty("repetition_penalty").GetDouble());
            Assert.Equal(0.5, settings.GetProperty("presence_penalty").GetDouble());
            Assert.Equal(0.1, settings.GetProperty("frequency_penalty").GetDouble());
            Assert.Equal(3, settings.GetProperty("top_logprobs").GetInt32());
        }
        // Teacher forcing applies no penalties, so scoring the file under its own settings is refused rather than misreported.
        var (scoreCode, _, scoreErr) = Run("score", "--model", models.Dir("qwen2"), "--rollouts", outPath, "--out", Path.Combine(_dir, "scored.jsonl"));
        Assert.Equal(2, scoreCode);
        AssertOneLineError(scoreErr, "penalty");
    }

    [Fact]
    public void Ignore_eos_runs_past_eos_to_the_budget_and_min_new_tokens_holds_eos_off()
    {
        // The shipped model ends its answers with EOS, well inside 100 tokens.
        var model = Path.Combine(RepoPaths.Root, "models", "arith-qwen2");
        var prompts = Prompts("""{"id": "a", "prompt": "Compute 84 - 10 - 30."}""");
        JsonElement Generate(params string[] extra)
        {
            var outPath = Path.Combine(_dir, $"eos-{Guid.NewGuid():N}.jsonl");
            var (code, _, err) = Run(["generate", "--model", model, "--prompts", prompts, "--out", outPath, "--greedy", "--max-new-tokens", "100", .. extra]);
            Assert.True(code == 0, err);
            return JsonDocument.Parse(File.ReadAllLines(outPath).Single()).RootElement;
        }
        int Tokens(JsonElement line) => line.GetProperty("token_ids").GetArrayLength();

        var plain = Generate();
        Assert.Equal("eos", plain.GetProperty("finish_reason").GetString());
        int ended = Tokens(plain);
        Assert.InRange(ended, 2, 94);

        var ignoring = Generate("--ignore-eos");
        Assert.Equal("length", ignoring.GetProperty("finish_reason").GetString());
        Assert.Equal(100, Tokens(ignoring));

        var held = Generate("--min-new-tokens", (ended + 5).ToString());
        Assert.True(Tokens(held) >= ended + 5);
        int eos = plain.GetProperty("token_ids")[ended - 1].GetInt32();
        Assert.DoesNotContain(eos, held.GetProperty("token_ids").EnumerateArray().Take(ended + 5).Select(t => t.GetInt32()));
    }

    [Fact]
    public void A_missing_model_folder_is_one_line_exit_2_and_no_output()
    {
        var outPath = Path.Combine(_dir, "out.jsonl");
        var (code, _, err) = Run("generate", "--model", "/nonexistent/model", "--prompts", Prompts("""{"id":"a","prompt":"x"}"""), "--out", outPath);
        Assert.Equal(2, code);
        AssertOneLineError(err, "/nonexistent/model");
        Assert.False(File.Exists(outPath));
        Assert.False(File.Exists(outPath + ".partial"));
    }

    [Fact]
    public void A_malformed_prompt_file_names_the_file_and_line()
    {
        var prompts = Prompts("""{"id":"a","prompt":"x"}""", "{not json");
        var (code, _, err) = Run("generate", "--model", models.Dir("gpt2"), "--prompts", prompts, "--out", Path.Combine(_dir, "o.jsonl"));
        Assert.Equal(2, code);
        AssertOneLineError(err, prompts + ":2");
    }

    [Fact]
    public void A_prompt_longer_than_the_context_window_is_refused_before_any_work()
    {
        var outPath = Path.Combine(_dir, "out.jsonl");
        var prompts = Prompts("""{"id":"ok","prompt":"short"}""", $$"""{"id":"long","prompt":"{{string.Concat(Enumerable.Repeat("word ", 400))}}"}""");
        var (code, _, err) = Run("generate", "--model", models.Dir("gpt2"), "--prompts", prompts, "--out", outPath);
        Assert.Equal(2, code);
        AssertOneLineError(err, "'long'", "context window");
        Assert.False(File.Exists(outPath));
    }

    [Theory]
    [InlineData("--no-such-option", "1")]
    [InlineData("--greedy", "--temperature")]
    [InlineData("--top-p", "1.5")]
    [InlineData("--episodes", "regex:(")]
    [InlineData("--device", "tpu")]
    [InlineData("--n", "0")]
    [InlineData("--n", "100000000")] // once took the machine into the OOM killer
    [InlineData("--max-new-tokens", "0")]
    [InlineData("--repetition-penalty", "0")]
    [InlineData("--presence-penalty", "NaN")]
    [InlineData("--frequency-penalty", "-Infinity")]
    [InlineData("--min-new-tokens", "300")]
    [InlineData("--logprobs", "21")]
    [InlineData("--lanes", "0")]
    public void Bad_options_are_one_line_exit_2(string option, string value)
    {
        string[] args = option == "--greedy"
            ? ["generate", "--model", models.Dir("gpt2"), "--prompts", Prompts("""{"id":"a","prompt":"x"}"""), "--out", Path.Combine(_dir, "o.jsonl"), "--greedy", "--temperature", "0.5"]
            : ["generate", "--model", models.Dir("gpt2"), "--prompts", Prompts("""{"id":"a","prompt":"x"}"""), "--out", Path.Combine(_dir, "o.jsonl"), option, value];
        var (code, _, err) = Run(args);
        Assert.Equal(2, code);
        // The library's messages name its settings (TopP, SamplesPerPrompt, …); the command line says its own option.
        AssertOneLineError(err, option == "--no-such-option" ? "no-such-option" : option);
    }

    [Fact]
    public void An_output_that_is_an_input_a_folder_a_link_or_being_written_is_refused_before_any_work()
    {
        var prompts = Prompts("""{"id":"a","prompt":"x"}""");
        var before = File.ReadAllText(prompts);
        string[] Generate(string outPath) => ["generate", "--model", models.Dir("gpt2"), "--prompts", prompts, "--out", outPath, "--max-new-tokens", "2"];

        var (code, _, err) = Run(Generate(prompts));
        Assert.Equal(2, code);
        AssertOneLineError(err, prompts, "overwrite the input");
        Assert.Equal(before, File.ReadAllText(prompts));

        // score's completions are its input too.
        var completions = Prompts("""{"prompt_id":"a","prompt":"x","answer":"1","token_ids":[5,6]}""");
        var completionsBefore = File.ReadAllText(completions);
        (code, _, err) = Run("score", "--model", models.Dir("gpt2"), "--rollouts", completions, "--out", completions);
        Assert.Equal(2, code);
        AssertOneLineError(err, completions, "overwrite the input");
        Assert.Equal(completionsBefore, File.ReadAllText(completions));

        (code, _, err) = Run(Generate(_dir));
        Assert.Equal(2, code);
        AssertOneLineError(err, "a folder");

        var target = Path.Combine(_dir, "target.jsonl");
        File.WriteAllText(target, "kept\n");
        var link = Path.Combine(_dir, "link.jsonl");
        File.CreateSymbolicLink(link, target);
        (code, _, err) = Run(Generate(link));
        Assert.Equal(2, code);
        AssertOneLineError(err, "a link");
        Assert.NotNull(new FileInfo(link).LinkTarget);
        Assert.Equal("kept\n", File.ReadAllText(target));

        // A second writer of the same file: refused, and the first one's file is left to it.
        var shared = Path.Combine(_dir, "shared.jsonl");
        using (var first = Rollout.Engine.Output.RolloutJsonlWriter.Create(shared, new Rollout.Engine.Generation.GenerationOptions()))
        {
            (code, _, err) = Run(Generate(shared));
            Assert.Equal(2, code);
            AssertOneLineError(err, "another run is writing it");
            first.Commit();
        }
        Assert.Equal("", File.ReadAllText(shared));
        (code, _, err) = Run(Generate(shared));
        Assert.True(code == 0, err);
        Assert.Single(File.ReadAllLines(shared));
    }

    [Fact]
    public void NaN_logits_are_reported_with_the_prompt_and_no_output_when_nothing_finished()
    {
        var config = ModelConfig.Load(Path.Combine(models.Dir("llama"), "config.json"));
        var weights = RandomWeights.Create(config, EngineModels.Seed);
        weights["model.norm.weight"].Data[3] = float.NaN;
        var dir = Path.Combine(_dir, "nan-model");
        ModelFolderWriter.Write(weights, dir, new DecoderExportOptions(), 0, ModelFolderWriter.GenerationConfig(config, 0));
        foreach (var file in Directory.GetFiles(models.Dir("llama"), "*token*").Concat(Directory.GetFiles(models.Dir("llama"), "*.txt")).Concat(Directory.GetFiles(models.Dir("llama"), "vocab.json")))
            File.Copy(file, Path.Combine(dir, Path.GetFileName(file)), overwrite: true);

        var outPath = Path.Combine(_dir, "out.jsonl");
        var (code, _, err) = Run("generate", "--model", dir, "--prompts", Prompts("""{"id":"q7","prompt":"hello"}"""), "--out", outPath);
        Assert.Equal(2, code);
        AssertOneLineError(err, "non-finite logits", "'q7'");
        Assert.DoesNotContain(".partial", err); // no rollout finished, so none is kept and no file says otherwise
        Assert.False(File.Exists(outPath));
        Assert.False(File.Exists(outPath + ".partial"));
    }

    [Fact]
    public void Tokenize_prints_a_json_array_of_the_tokenizers_ids()
    {
        var (code, stdout, _) = Run("tokenize", "--model", models.Dir("gpt2"), "--text", "a<think>b");
        Assert.Equal(0, code);
        var ids = JsonSerializer.Deserialize<int[]>(stdout)!;
        var think = ModelFolder.Open(models.Dir("gpt2")).Tokenizer.TokenToId("<think>");
        Assert.Equal(3, ids.Length);
        Assert.Equal(think, ids[1]);
    }

    [Fact]
    public void Model_new_refuses_an_unknown_architecture()
    {
        var (code, _, err) = Run("model", "new", "--arch", "mamba", "--out", Path.Combine(_dir, "m"));
        Assert.Equal(2, code);
        AssertOneLineError(err, "mamba");
    }

    [Fact]
    public void Model_new_with_the_fused_graph_writes_a_folder_whose_genai_config_shares_the_kv_buffer()
    {
        var folder = Path.Combine(_dir, "fused");
        var (code, _, err) = Run("model", "new", "--arch", "qwen2", "--hidden", "64", "--heads", "4", "--kv-heads", "2", "--graph", "fused", "--out", folder);
        Assert.True(code == 0, err);
        var search = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "genai_config.json"))).RootElement.GetProperty("search");
        Assert.True(search.GetProperty("past_present_share_buffer").GetBoolean());
    }

    [Fact]
    public void Model_new_writes_the_fused_graph_by_default_and_refuses_a_head_size_it_cannot_take_naming_the_optimum_graph()
    {
        var folder = Path.Combine(_dir, "default");
        var (code, _, err) = Run("model", "new", "--arch", "llama", "--hidden", "64", "--heads", "4", "--out", folder);
        Assert.True(code == 0, err);
        Assert.True(JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "genai_config.json"))).RootElement
            .GetProperty("search").GetProperty("past_present_share_buffer").GetBoolean());

        var small = Path.Combine(_dir, "small-heads");
        (code, _, err) = Run("model", "new", "--arch", "llama", "--hidden", "32", "--heads", "4", "--out", small);
        Assert.Equal(2, code);
        AssertOneLineError(err, "--graph optimum");
        Assert.False(Directory.Exists(small));
    }

    [Fact]
    public void Model_convert_of_a_model_folder_changes_its_layout_and_keeps_what_it_generates()
    {
        var fused = Path.Combine(_dir, "relaid");
        var (code, _, err) = Run("model", "convert", "--from", models.Dir(EngineModels.Optimum("qwen2")), "--graph", "fused", "--out", fused);
        Assert.True(code == 0, err);
        Assert.True(JsonDocument.Parse(File.ReadAllText(Path.Combine(fused, "genai_config.json"))).RootElement
            .GetProperty("search").GetProperty("past_present_share_buffer").GetBoolean());

        // The source and the converted folder sample the same tokens (greedy; the graphs' floats differ in their last bits).
        using var source = RolloutEngine.Open(models.Dir(EngineModels.Optimum("qwen2")));
        using var converted = RolloutEngine.Open(fused);
        var options = new GenerationOptions { SamplesPerPrompt = 1, MaxNewTokens = 10, IgnoreEos = true, Sampling = new SamplingParams { Greedy = true } };
        var prompts = new[] { new Prompt("a", "Compute 3 + 4.", null, null, null), new Prompt("b", "Say something long about the sea", null, null, null) };
        var expected = source.Generate(source.Encode(prompts), options).ToList();
        var actual = converted.Generate(converted.Encode(prompts), options).ToList();
        Assert.Equal(2, expected.Count);
        Assert.Equal(expected.Select(r => r.TokenIds), actual.Select(r => r.TokenIds));
    }

    [Theory]
    [InlineData("new")]
    [InlineData("convert")]
    public void Model_new_and_convert_refuse_an_unknown_graph_layout(string verb)
    {
        var output = Path.Combine(_dir, "g");
        var (code, _, err) = verb == "new"
            ? Run("model", "new", "--arch", "llama", "--graph", "bogus", "--out", output)
            : Run("model", "convert", "--from", models.Dir("llama"), "--graph", "bogus", "--out", output);
        Assert.Equal(2, code);
        AssertOneLineError(err, "--graph", "bogus");
        Assert.False(Directory.Exists(output));
    }

    [Theory]
    [InlineData("--style", "chatty")]
    [InlineData("--redundant-share", "1.5")]
    public void Train_task_refuses_an_unknown_style_or_a_share_outside_0_to_1(string option, string value)
    {
        var output = Path.Combine(_dir, "t");
        var (code, _, err) = Run("model", "train-task", "--out", output, option, value);
        Assert.Equal(2, code);
        AssertOneLineError(err, option, value);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void Eval_with_a_zero_head_core_reports_what_the_base_model_does_and_a_bad_core_file_is_refused()
    {
        var model = Path.Combine(RepoPaths.Root, "models", "arith-qwen2");
        string[] common = ["eval", "--model", model, "--problems", "12", "--problem-seed", "3"];
        var core = Path.Combine(_dir, "core.npy");
        using (var file = File.Create(core)) Rollout.Engine.Output.NpyWriter.Write(file, new float[8 * 8], 8, 8);

        var (baseCode, baseOut, _) = Run([.. common, "--json", Path.Combine(_dir, "base.json")]);
        var (coreCode, coreOut, coreErr) = Run([.. common, "--core", core, "--json", Path.Combine(_dir, "core.json")]);
        Assert.Equal(0, baseCode);
        Assert.True(coreCode == 0, coreErr);
        Assert.Equal(File.ReadAllText(Path.Combine(_dir, "base.json")), File.ReadAllText(Path.Combine(_dir, "core.json")));
        Assert.Contains("accuracy", baseOut);

        File.WriteAllText(Path.Combine(_dir, "bad.npy"), "not numpy");
        var (badCode, _, badErr) = Run([.. common, "--core", Path.Combine(_dir, "bad.npy")]);
        Assert.Equal(2, badCode);
        AssertOneLineError(badErr, "bad.npy");
    }
}
