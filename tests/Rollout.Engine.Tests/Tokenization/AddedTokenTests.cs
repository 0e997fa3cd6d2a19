using System.Text.Json.Nodes;
using Rollout.Engine.Tokenization;
using Rollout.Tests;

namespace Rollout.Engine.Tests.Tokenization;

/// <summary>
/// Added-token flags where no recorded reference agrees with HF's Rust tokenizers (transformers.js
/// ignores single_word); expected ids follow the Rust rule by hand: a single_word token matches only
/// when neither neighbour is a word character (\w).
/// </summary>
public sealed class AddedTokenTests
{
    [Fact]
    public void Single_word_token_matches_only_between_non_word_characters()
    {
        var dir = RepoPaths.NewTempDir("tok-single-word");
        var source = Path.Combine(RepoPaths.Root, "tests", "Rollout.Engine.Tests", "Tokenization", "Fixtures", "llama3-style");
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(source, "tokenizer.json")))!;
        foreach (var token in json["added_tokens"]!.AsArray())
            if ((string?)token!["content"] == "cat") token["single_word"] = true;
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), json.ToJsonString());
        var tokenizer = TextTokenizer.Load(dir);
        var cat = tokenizer.TokenToId("cat")!.Value;

        // Matches: "cat" at the start, "(cat)", "cat." — not in "concat", "cat_" or "cats".
        const string text = "cat concat cat_ cats (cat) cat.";
        var ids = tokenizer.Encode(text, addSpecialTokens: false);
        Assert.Equal(3, ids.Count(id => id == cat));
        Assert.Equal(cat, ids[0]);
        Assert.Equal(text, tokenizer.Decode(ids.ToArray()));
        Assert.Equal([cat], tokenizer.Encode("cat", addSpecialTokens: false));
    }
}
