using System.Text.Json;
using Rollout.Engine.Tests.Support;
using Rollout.Tests;
using static Rollout.Tests.CliRun;

namespace Rollout.Engine.Tests.Cli;

/// <summary><c>decode</c>: ids back to text, from --ids or from JSON lines; bad ids are one line and exit 2.</summary>
[Collection(EngineModelsCollection.Name)]
public sealed class DecodeCommandTests(EngineModels models) : IDisposable
{
    private readonly string _dir = RepoPaths.NewTempDir("decode");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static int[] Tokenize(string model, string text)
    {
        var (code, stdout, err) = Run("tokenize", "--model", model, "--text", text, "--no-special-tokens");
        Assert.True(code == 0, err);
        return JsonSerializer.Deserialize<int[]>(stdout)!;
    }

    [Fact]
    public void Ids_decode_to_the_text_Hugging_Faces_GPT2_tokenizer_gives_them()
    {
        // HF GPT-2: "Hello world" is [15496, 995].
        var (code, stdout, err) = Run("decode", "--model", RepoPaths.Gpt2Tokenizer, "--ids", "15496,995");
        Assert.True(code == 0, err);
        Assert.Equal("Hello world\n", stdout);
    }

    [Fact]
    public void The_text_tokenize_encoded_comes_back_from_ids_and_from_json_lines()
    {
        string[] texts = ["Compute 12 + 7.<think>19</think>", "two\nlines and ünïcode ✓"];
        var model = models.Dir("qwen2");
        foreach (var text in texts)
        {
            var (code, stdout, err) = Run("decode", "--model", model, "--ids", string.Join(",", Tokenize(model, text)));
            Assert.True(code == 0, err);
            Assert.Equal(text + "\n", stdout);
        }

        var lines = texts.Select(t => JsonSerializer.Serialize(new { prompt_id = "a", token_ids = Tokenize(model, t) })).ToList();
        var fromStdin = WithInput(string.Join("\n", lines) + "\n", "decode", "--model", model);
        var file = Path.Combine(_dir, "rollouts.jsonl");
        File.WriteAllLines(file, lines);
        var fromFile = Run("decode", "--model", model, "--in", file);
        foreach (var (code, stdout, err) in new[] { fromStdin, fromFile })
        {
            Assert.True(code == 0, err);
            Assert.Equal(texts, stdout.TrimEnd('\n').Split('\n').Select(l => JsonSerializer.Deserialize<string>(l)));
        }
    }

    [Theory]
    [InlineData("1,x,3", "'x'")]
    [InlineData("5,99999", "99999")]
    [InlineData("-1", "-1")]
    public void Bad_ids_are_one_line_exit_2(string ids, string mention)
    {
        var (code, stdout, err) = Run("decode", "--model", models.Dir("gpt2"), "--ids", ids);
        Assert.Equal(2, code);
        AssertOneLineError(err, "--ids", mention);
        Assert.Equal("", stdout);
    }

    [Theory]
    [InlineData("""{"token_ids":[1,99999]}""", "99999")]
    [InlineData("""{"token_ids":[1,"a"]}""", "token_ids[1]")]
    [InlineData("""{"text":"no ids"}""", "token_ids")]
    [InlineData("{not json", "not JSON")]
    public void A_bad_json_line_is_named_by_its_number(string bad, string mention)
    {
        var (code, _, err) = WithInput("""{"token_ids":[1,2]}""" + "\n" + bad + "\n", "decode", "--model", models.Dir("gpt2"));
        Assert.Equal(2, code);
        AssertOneLineError(err, "standard input:2", mention);
    }
}
