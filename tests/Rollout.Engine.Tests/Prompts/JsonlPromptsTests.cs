using Rollout.Engine.Prompts;
using Rollout.Tests;

namespace Rollout.Engine.Tests.Prompts;

public class JsonlPromptsTests
{
    private static string Write(string content)
    {
        var path = Path.Combine(RepoPaths.NewTempDir("prompts"), "p.jsonl");
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public void Reads_raw_text_and_chat_prompts()
    {
        var path = Write("""
            {"id": "a", "prompt": "2+2=", "answer": "4"}

            {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}], "answer": 7, "data_source": "gsm8k"}
            {"id": 12, "prompt": [{"role": "user", "content": "verl style"}]}
            """);
        var prompts = PromptFile.Read(path);
        Assert.Equal(3, prompts.Count);
        Assert.Equal(new Prompt("a", "2+2=", null, "4", null), prompts[0]);

        Assert.Equal("3", prompts[1].Id); // no id: its line number
        Assert.Null(prompts[1].Text);
        Assert.Equal([new ChatMessage("system", "Be brief."), new ChatMessage("user", "Hi")], prompts[1].Messages!);
        Assert.Equal("7", prompts[1].Answer);
        Assert.Equal("gsm8k", prompts[1].DataSource);

        Assert.Equal("12", prompts[2].Id);
        Assert.Equal([new ChatMessage("user", "verl style")], prompts[2].Messages!);
    }

    [Theory]
    [InlineData("{\"id\": \"a\", \"prompt\": \"x\"}\n{\"id\": \"b\", \"prompt\": \n", ":2: invalid JSON")]
    [InlineData("{\"id\": \"a\"}\n", ":1: needs exactly one of \"prompt\" and \"messages\"")]
    [InlineData("{\"id\": \"a\", \"prompt\": \"x\", \"messages\": []}\n", ":1: needs exactly one")]
    [InlineData("\n{\"messages\": [{\"role\": \"user\"}]}\n", ":2: message 1 of \"messages\" needs string \"role\" and \"content\"")]
    [InlineData("{\"prompt\": 5}\n", ":1: \"prompt\" must be a string or a list of messages")]
    [InlineData("[1, 2]\n", ":1: expected a JSON object")]
    [InlineData("{\"id\": {\"x\": 1}, \"prompt\": \"x\"}\n", ":1: \"id\" must be a string or a number")]
    public void A_bad_line_is_an_input_error_naming_file_and_line(string content, string problem)
    {
        var path = Write(content);
        var e = Assert.Throws<InputException>(() => PromptFile.Read(path));
        Assert.StartsWith(path, e.Message);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void An_empty_file_is_an_input_error()
    {
        var path = Write("\n\n");
        Assert.Contains("no prompts", Assert.Throws<InputException>(() => PromptFile.Read(path)).Message);
    }

    [Fact]
    public void Duplicate_ids_are_an_input_error()
    {
        var path = Write("{\"id\": \"a\", \"prompt\": \"x\"}\n{\"id\": \"a\", \"prompt\": \"y\"}\n");
        Assert.Contains("'a' appears more than once", Assert.Throws<InputException>(() => PromptFile.Read(path)).Message);
    }

    [Fact]
    public void Missing_files_and_unknown_extensions_are_input_errors()
    {
        var dir = RepoPaths.NewTempDir("prompts");
        Assert.Contains("not found", Assert.Throws<InputException>(() => PromptFile.Read(Path.Combine(dir, "none.jsonl"))).Message);
        var csv = Path.Combine(dir, "p.csv");
        File.WriteAllText(csv, "id,prompt\n");
        Assert.Contains("unknown prompt file type", Assert.Throws<InputException>(() => PromptFile.Read(csv)).Message);
    }
}
