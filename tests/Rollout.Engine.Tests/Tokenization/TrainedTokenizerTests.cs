using Rollout.Engine.Tokenization;
using Rollout.Models.Tokenizer;

namespace Rollout.Engine.Tests.Tokenization;

/// <summary>The engine's tokenizer on a folder written by WriteTrained.</summary>
public sealed class TrainedTokenizerTests
{
    private static readonly TextTokenizer Tokenizer = TextTokenizer.Load(TrainedTokenizerFolder.Path);

    [Fact]
    public void Special_tokens_are_single_ids_at_the_end_of_the_vocab()
    {
        var specials = TokenizerFilesWriter.SpecialTokens;
        Assert.Equal(37, specials.Count);
        for (var i = 0; i < specials.Count; i++)
        {
            var id = 512 - 37 + i;
            Assert.Equal([id], Tokenizer.Encode(specials[i]));
            Assert.Contains(id, Tokenizer.SpecialTokenIds);
        }
        Assert.Equal([475, 496, 493, 511], Tokenizer.Encode("<|endoftext|></episode_1><episode_14></episode_16>"));
    }

    [Fact]
    public void Config_values_come_through()
    {
        Assert.Equal(512, Tokenizer.VocabSize);
        Assert.Equal(475, Tokenizer.EosTokenId);
        Assert.Equal(475, Tokenizer.BosTokenId);
        Assert.Equal(475, Tokenizer.PadTokenId);
        Assert.Equal("<|endoftext|>", Tokenizer.BosToken);
        Assert.Equal(TokenizerFilesWriter.ChatTemplate, Tokenizer.ChatTemplate);
        Assert.Equal(37, Tokenizer.SpecialTokenIds.Count);
        // GPT-2 style: no special tokens are added around the text.
        Assert.Equal(Tokenizer.Encode("hi", addSpecialTokens: false), Tokenizer.Encode("hi"));
    }

    [Theory]
    [InlineData("plain words, numbers 12345 and 3.14159")]
    [InlineData("    indented\n\tcode();\r\n  }  ")]
    [InlineData("ünïcödé → 你好 🙂 ÿ\u0000\u007f")]
    [InlineData("<|im_start|>user\nhi<|im_end|>\n<think><episode_1>a</episode_1></think>4<|endoftext|>")]
    [InlineData("<episode_17> is not a special token, <episode_1 is not either")]
    public void Decode_inverts_encode(string text) =>
        Assert.Equal(text, Tokenizer.Decode(Tokenizer.Encode(text).ToArray()));

    [Fact]
    public void Byte_tokens_have_byte_ids()
    {
        // Ids 0..255 are the bytes in byte order, so a byte's id is its value.
        Assert.Equal("A", Tokenizer.Decode([65]));
        Assert.Equal("é", Tokenizer.Decode([0xC3, 0xA9]));
        Assert.Equal("\uFFFD", Tokenizer.Decode([0xFF]));
    }
}
