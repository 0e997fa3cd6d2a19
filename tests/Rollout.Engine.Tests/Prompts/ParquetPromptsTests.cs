using Parquet.Schema;
using Parquet.Serialization;
using Rollout.Engine.Prompts;
using Rollout.Tests;

namespace Rollout.Engine.Tests.Prompts;

public class ParquetPromptsTests
{
    private static Dictionary<string, object?> Message(string role, string content) => new() { ["role"] = role, ["content"] = content };

    /// <summary>Writes rows in verl's layout (as its data preprocessing scripts produce) to a fresh file.</summary>
    private static async Task<string> WriteVerl(ParquetSchema schema, List<IDictionary<string, object?>> rows)
    {
        var path = Path.Combine(RepoPaths.NewTempDir("parquet"), "train.parquet");
        await using var stream = File.Create(path);
        await ParquetSerializer.SerializeUntypedAsync(rows, schema, stream);
        return path;
    }

    private static readonly Field PromptColumn =
        new ListField("prompt", new StructField("element", new DataField<string>("role"), new DataField<string>("content")));

    [Fact]
    public async Task Reads_verl_layout()
    {
        var schema = new ParquetSchema(
            new DataField<string>("data_source"),
            PromptColumn,
            new DataField<string>("ability"),
            new StructField("reward_model", new DataField<string>("ground_truth"), new DataField<string>("style")),
            new StructField("extra_info", new DataField<long>("index"), new DataField<string>("split")));
        var path = await WriteVerl(schema,
        [
            new Dictionary<string, object?>
            {
                ["data_source"] = "openai/gsm8k",
                ["prompt"] = new List<Dictionary<string, object?>> { Message("system", "Think."), Message("user", "1+1?") },
                ["ability"] = "math",
                ["reward_model"] = new Dictionary<string, object?> { ["ground_truth"] = "2", ["style"] = "rule" },
                ["extra_info"] = new Dictionary<string, object?> { ["index"] = 40L, ["split"] = "train" },
            },
            new Dictionary<string, object?>
            {
                ["data_source"] = "openai/gsm8k",
                ["prompt"] = new List<Dictionary<string, object?>> { Message("user", "2+3?") },
                ["ability"] = "math",
                ["reward_model"] = new Dictionary<string, object?> { ["ground_truth"] = "5", ["style"] = "rule" },
                ["extra_info"] = new Dictionary<string, object?> { ["index"] = 41L, ["split"] = "train" },
            },
        ]);

        var prompts = PromptFile.Read(path);
        Assert.Equal(2, prompts.Count);
        Assert.Equal("40", prompts[0].Id);
        Assert.Null(prompts[0].Text);
        Assert.Equal([new ChatMessage("system", "Think."), new ChatMessage("user", "1+1?")], prompts[0].Messages!);
        Assert.Equal("2", prompts[0].Answer);
        Assert.Equal("openai/gsm8k", prompts[0].DataSource);
        Assert.Equal("41", prompts[1].Id);
        Assert.Equal([new ChatMessage("user", "2+3?")], prompts[1].Messages!);
        Assert.Equal("5", prompts[1].Answer);
    }

    [Fact]
    public async Task Without_extra_info_the_id_is_the_row_number()
    {
        var path = await WriteVerl(new ParquetSchema(PromptColumn),
        [
            new Dictionary<string, object?> { ["prompt"] = new List<Dictionary<string, object?>> { Message("user", "a") } },
            new Dictionary<string, object?> { ["prompt"] = new List<Dictionary<string, object?>> { Message("user", "b") } },
        ]);
        var prompts = PromptFile.Read(path);
        Assert.Equal(["0", "1"], prompts.Select(p => p.Id));
        Assert.All(prompts, p => Assert.Null(p.Answer));
    }

    [Fact]
    public async Task A_file_without_a_prompt_column_is_an_input_error()
    {
        var path = await WriteVerl(new ParquetSchema(new DataField<string>("question")),
            [new Dictionary<string, object?> { ["question"] = "a" }]);
        var e = Assert.Throws<InputException>(() => PromptFile.Read(path));
        Assert.StartsWith($"{path}: no \"prompt\" column", e.Message);
    }

    [Fact]
    public async Task A_bad_row_is_an_input_error_naming_file_and_row()
    {
        var path = await WriteVerl(new ParquetSchema(PromptColumn),
        [
            new Dictionary<string, object?> { ["prompt"] = new List<Dictionary<string, object?>> { Message("user", "a") } },
            new Dictionary<string, object?> { ["prompt"] = new List<Dictionary<string, object?>> { new() { ["role"] = "user", ["content"] = null } } },
        ]);
        var e = Assert.Throws<InputException>(() => PromptFile.Read(path));
        Assert.Equal($"{path}: row 1: message 1 of \"prompt\" needs string role and content", e.Message);
    }

    [Fact]
    public void A_file_that_is_not_parquet_is_an_input_error()
    {
        var path = Path.Combine(RepoPaths.NewTempDir("parquet"), "bad.parquet");
        File.WriteAllText(path, "not parquet at all");
        Assert.Contains("cannot read as Parquet", Assert.Throws<InputException>(() => PromptFile.Read(path)).Message);
    }
}
