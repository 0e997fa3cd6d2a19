using Rollout.Engine.Tokenization;
using Rollout.Tests;

namespace Rollout.Engine.Tests.Tokenization;

/// <summary>
/// The tiktoken path: the trained tokenizer rewritten as a tiktoken rank file (rank = id, each token's
/// bytes in base64) must tokenize as Hugging Face did with the original folder.
/// </summary>
public sealed class TiktokenTests
{
    [Fact]
    public void Tiktoken_file_encodes_like_the_bpe_folder()
    {
        var source = TextTokenizer.Load(TrainedTokenizerFolder.Path);
        var dir = RepoPaths.NewTempDir("tok-tiktoken");
        // The "gpt2" name selects GPT-2's pre-tokenizer pattern, which the trained tokenizer uses.
        var lines = Enumerable.Range(0, 512 - 37).Select(id =>
            $"{Convert.ToBase64String(ByteLevelAlphabet.Unspell(source.IdToToken(id)!))} {id}");
        File.WriteAllLines(Path.Combine(dir, "gpt2-trained.tiktoken"), lines);
        File.Copy(Path.Combine(TrainedTokenizerFolder.Path, "tokenizer_config.json"), Path.Combine(dir, "tokenizer_config.json"));

        var tiktoken = TextTokenizer.Load(dir);
        Assert.Equal(512, tiktoken.VocabSize);
        Assert.All(HfReferenceFixture.Read("trained-512").Cases, c =>
        {
            Assert.Equal(c.Ids, tiktoken.Encode(c.Text));
            Assert.Equal(c.Text, tiktoken.Decode(c.Ids));
        });
    }
}
