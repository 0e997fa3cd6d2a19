using Rollout.Engine.Tokenization;
using Rollout.Tests;

namespace Rollout.Engine.Tests.Tokenization;

/// <summary>TextTokenizer against Hugging Face's own outputs (transformers.js fixtures) on the same folders.</summary>
public sealed class HfReferenceTests
{
    public static TheoryData<string> Folders => ["gpt2-codegen", "trained-512", "trained-512-vocab-merges", "llama3-style"];

    private static string FixtureFolder(string name) =>
        Path.Combine(RepoPaths.Root, "tests", "Rollout.Engine.Tests", "Tokenization", "Fixtures", name);

    private static (TextTokenizer Tokenizer, HfReferenceFixture Fixture) Load(string name) => name switch
    {
        "gpt2-codegen" => (TextTokenizer.Load(RepoPaths.Gpt2Tokenizer), HfReferenceFixture.Read("gpt2-codegen")),
        "trained-512" => (TextTokenizer.Load(TrainedTokenizerFolder.Path), HfReferenceFixture.Read("trained-512")),
        // The slow-tokenizer files of the same folder must tokenize the same.
        "trained-512-vocab-merges" => (TextTokenizer.Load(TrainedTokenizerFolder.CopyWithout("tokenizer.json")), HfReferenceFixture.Read("trained-512")),
        "llama3-style" => (TextTokenizer.Load(FixtureFolder("llama3-style")), HfReferenceFixture.Read("llama3-style")),
        _ => throw new ArgumentException(name),
    };

    [Theory, MemberData(nameof(Folders))]
    public void Encode_matches_hugging_face(string folder)
    {
        var (tokenizer, fixture) = Load(folder);
        Assert.All(fixture.Cases, c =>
        {
            Assert.Equal(c.Ids, tokenizer.Encode(c.Text));
            Assert.Equal(c.IdsWithoutSpecialTokens, tokenizer.Encode(c.Text, addSpecialTokens: false));
        });
    }

    [Theory, MemberData(nameof(Folders))]
    public void Decode_matches_hugging_face(string folder)
    {
        var (tokenizer, fixture) = Load(folder);
        Assert.All(fixture.Cases, c =>
        {
            Assert.Equal(c.Decoded, tokenizer.Decode(c.Ids));
            Assert.Equal(c.DecodedSkippingSpecial, tokenizer.Decode(c.Ids, skipSpecialTokens: true));
        });
    }

    // Not llama3-style: its lstrip/rstrip tokens swallow whitespace, so there the text does not come back.
    [Theory, InlineData("gpt2-codegen"), InlineData("trained-512")]
    public void Decode_inverts_encode(string folder)
    {
        var (tokenizer, fixture) = Load(folder);
        Assert.All(fixture.Cases, c => Assert.Equal(c.Text, tokenizer.Decode(tokenizer.Encode(c.Text).ToArray())));
    }

    [Fact]
    public void Fixtures_cover_the_cases_that_matter()
    {
        // Guards the fixtures themselves: whitespace-run added tokens (50257..50294) and <|endoftext|> occur.
        var ids = HfReferenceFixture.Read("gpt2-codegen").Cases.SelectMany(c => c.Ids).ToHashSet();
        Assert.Contains(50256, ids);
        Assert.True(ids.Count(id => id is >= 50257 and <= 50294) >= 5);
    }

    [Fact]
    public void Gpt2_folder_properties_match_its_config()
    {
        var tokenizer = TextTokenizer.Load(RepoPaths.Gpt2Tokenizer);
        Assert.Equal(50295, tokenizer.VocabSize); // 50257 BPE tokens + 38 whitespace-run tokens
        Assert.Equal(50256, tokenizer.EosTokenId);
        Assert.Equal(50256, tokenizer.BosTokenId);
        Assert.Equal("<|endoftext|>", tokenizer.EosToken);
        Assert.Null(tokenizer.PadTokenId);
        Assert.Equal(2048, tokenizer.ModelMaxLength);
        Assert.Equal([50256], tokenizer.SpecialTokenIds);
        Assert.Equal(50257, tokenizer.TokenToId(new string(' ', 31)));
        Assert.Equal("Ġthe", tokenizer.IdToToken(262));
        Assert.Null(tokenizer.IdToToken(50295));
    }
}
