using System.Text.Json.Nodes;
using Rollout.Engine;
using Rollout.Models.Tokenizer;
using Rollout.Tests;

namespace Rollout.Models.Tests;

/// <summary>The files WriteTrained writes, checked against the layout the brief and GPT-2's files fix.</summary>
public sealed class TokenizerFilesWriterTests
{
    private static readonly string[] FileNames =
        ["merges.txt", "special_tokens_map.json", "tokenizer.json", "tokenizer_config.json", "vocab.json"];

    [Theory]
    [InlineData(293)]
    [InlineData(512)]
    [InlineData(1000)]
    [InlineData(4096)]
    public void Vocab_has_exactly_the_requested_size_with_specials_last(int vocabSize)
    {
        var dir = RepoPaths.NewTempDir("tok-writer");
        var summary = TokenizerFilesWriter.WriteTrained(dir, vocabSize);

        var vocab = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "vocab.json")))!.AsObject();
        Assert.Equal(vocabSize, summary.VocabSize);
        Assert.Equal(vocabSize, vocab.Count);
        Assert.Equal(Enumerable.Range(0, vocabSize), vocab.Select(p => (int)p.Value!).Order());

        // 37 specials in the brief's order, ending at vocabSize - 1.
        string[] expected =
        [
            "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>", "</think>",
            .. Enumerable.Range(1, 16).Select(k => $"<episode_{k}>"), .. Enumerable.Range(1, 16).Select(k => $"</episode_{k}>"),
        ];
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(vocabSize - 37 + i, (int)vocab[expected[i]]!);
            Assert.Equal(vocabSize - 37 + i, summary.SpecialTokens[expected[i]]);
        }
        Assert.Equal(vocabSize - 37, summary.EndOfTextId);

        // The first 256 ids are the bytes; each later learned token comes from one merge.
        Assert.Equal(0, (int)vocab["Ā"]!);   // byte 0
        Assert.Equal(32, (int)vocab["Ġ"]!);  // the space byte
        Assert.Equal(65, (int)vocab["A"]!);
        var merges = File.ReadAllLines(Path.Combine(dir, "merges.txt"));
        Assert.Equal("#version: 0.2", merges[0]);
        Assert.Equal(vocabSize - 256 - 37, merges.Length - 1);
    }

    [Fact]
    public void Same_size_gives_byte_identical_files()
    {
        var first = RepoPaths.NewTempDir("tok-writer-a");
        var second = RepoPaths.NewTempDir("tok-writer-b");
        TokenizerFilesWriter.WriteTrained(first, 700);
        TokenizerFilesWriter.WriteTrained(second, 700);
        Assert.Equal(FileNames, Directory.GetFiles(first).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach (var name in FileNames)
            Assert.Equal(File.ReadAllBytes(Path.Combine(first, name)), File.ReadAllBytes(Path.Combine(second, name)));
    }

    [Fact]
    public void Config_names_class_special_tokens_and_chat_template()
    {
        var dir = RepoPaths.NewTempDir("tok-writer");
        TokenizerFilesWriter.WriteTrained(dir, 512);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "tokenizer_config.json")))!;
        Assert.Equal("GPT2Tokenizer", (string?)config["tokenizer_class"]);
        foreach (var key in new[] { "bos_token", "eos_token", "pad_token", "unk_token" })
            Assert.Equal("<|endoftext|>", (string?)config[key]);
        Assert.Equal("<|im_end|>", (string?)config["added_tokens_decoder"]!["477"]!["content"]);
        Assert.True((bool)config["added_tokens_decoder"]!["477"]!["special"]!);
        Assert.Contains("<|im_start|>", (string?)config["chat_template"]);
        Assert.True((int)config["model_max_length"]! > 0);

        var tokenizer = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "tokenizer.json")))!;
        Assert.Equal("BPE", (string?)tokenizer["model"]!["type"]);
        Assert.Equal("ByteLevel", (string?)tokenizer["pre_tokenizer"]!["type"]);
        Assert.Equal("ByteLevel", (string?)tokenizer["decoder"]!["type"]);
        Assert.Equal(37, tokenizer["added_tokens"]!.AsArray().Count);
    }

    [Fact]
    public void Too_small_a_vocab_is_refused() =>
        Assert.Contains("292", Assert.Throws<InputException>(() => TokenizerFilesWriter.WriteTrained(RepoPaths.NewTempDir("tok-writer"), 292)).Message);

    [Fact]
    public void More_than_the_corpus_can_learn_is_refused() =>
        Assert.Throws<InputException>(() => TokenizerFilesWriter.WriteTrained(RepoPaths.NewTempDir("tok-writer"), 100_000));
}
