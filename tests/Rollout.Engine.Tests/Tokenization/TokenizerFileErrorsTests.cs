using Rollout.Engine.Tokenization;
using Rollout.Tests;

namespace Rollout.Engine.Tests.Tokenization;

/// <summary>Missing or malformed tokenizer files are the user's input errors and name the file.</summary>
public sealed class TokenizerFileErrorsTests
{
    [Fact]
    public void Missing_folder()
    {
        var dir = Path.Combine(RepoPaths.NewTempDir("tok-missing"), "nothing-here");
        Assert.Contains("nothing-here", Assert.Throws<InputException>(() => TextTokenizer.Load(dir)).Message);
    }

    [Fact]
    public void Folder_without_tokenizer_files()
    {
        var dir = RepoPaths.NewTempDir("tok-empty");
        File.WriteAllText(Path.Combine(dir, "config.json"), "{}");
        var error = Assert.Throws<InputException>(() => TextTokenizer.Load(dir));
        Assert.Contains(dir, error.Message);
        Assert.Contains("no tokenizer files", error.Message);
    }

    [Theory]
    [InlineData("tokenizer.json", "{ \"model\": ")]
    [InlineData("tokenizer.json", "{ \"model\": { \"type\": \"BPE\", \"vocab\": [1, 2] }, \"pre_tokenizer\": { \"type\": \"ByteLevel\" } }")]
    [InlineData("tokenizer.json", "{ \"model\": { \"type\": \"WordPiece\", \"vocab\": {} } }")]
    [InlineData("tokenizer_config.json", "not json")]
    [InlineData("tokenizer_config.json", "{ \"added_tokens_decoder\": { \"x\": { \"content\": \"a\" } } }")]
    [InlineData("merges.txt", "#version: 0.2\na b c\n")]
    [InlineData("tokenizer_config.json", "{ \"add_bos_token\": \"yes\" }")]
    [InlineData("vocab.json", "{ \"a\": \"one\" }")]
    [InlineData("vocab.json", "[1, 2]")]
    public void Malformed_file_is_named(string file, string content)
    {
        var dir = TrainedTokenizerFolder.CopyWithout(file == "merges.txt" || file == "vocab.json" ? "tokenizer.json" : "");
        File.WriteAllText(Path.Combine(dir, file), content);
        var error = Assert.Throws<InputException>(() => TextTokenizer.Load(dir));
        Assert.Contains(Path.Combine(dir, file), error.Message);
    }

    [Fact]
    public void Malformed_tiktoken_line_is_named()
    {
        var dir = RepoPaths.NewTempDir("tok-tiktoken");
        var file = Path.Combine(dir, "cl100k_base.tiktoken");
        File.WriteAllText(file, "IQ== 0\nIg== one\n");
        Assert.Contains(file, Assert.Throws<InputException>(() => TextTokenizer.Load(dir)).Message);
    }

    [Fact]
    public void Unreadable_sentencepiece_model_is_named()
    {
        var dir = RepoPaths.NewTempDir("tok-sp");
        var file = Path.Combine(dir, "tokenizer.model");
        File.WriteAllBytes(file, [0x0A, 0xFF, 0xFF, 0x01, 0x02]);
        Assert.Contains(file, Assert.Throws<InputException>(() => TextTokenizer.Load(dir)).Message);
    }
}
