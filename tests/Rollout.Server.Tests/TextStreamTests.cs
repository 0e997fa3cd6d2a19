using Rollout.Engine.Model;
using Rollout.Models.ModelFolder;
using Rollout.Server.Streaming;

namespace Rollout.Server.Tests;

/// <summary>
/// The stream's hold-back rule, token by token on the shipped model's byte-level tokenizer: every delta is final (the
/// released text stays a prefix of the finished text), and the deltas add up to it exactly.
/// </summary>
public sealed class TextStreamTests
{
    private static readonly ModelFolder Model = ModelFolder.Open(DefaultModel.Path);

    /// <param name="text">Completion text, tokenized; <paramref name="final"/> is the rollout's text as the engine reports it (by hand).</param>
    [Theory]
    [InlineData("héllo wörld ✓ 世界 done", new string[0], "héllo wörld ✓ 世界 done")] // multi-byte characters cut across byte tokens
    [InlineData("12 + 7 = 19 and more", new[] { "= 1" }, "12 + 7 ")] // a stop string over several tokens
    [InlineData("a #### b ## c", new[] { "##x", "## c" }, "a #### b ")] // tails that start a stop string but turn out not to
    [InlineData("price: 5€ then", new[] { "€ t" }, "price: 5")]
    public void Deltas_are_final_and_add_up_to_the_finished_text(string text, string[] stops, string final)
    {
        var tokens = Model.Tokenizer.Encode(text, addSpecialTokens: false);
        var stream = new TextStream(Model.Tokenizer, Model.EosTokenIds, ignoreEos: false, stops);
        var released = "";
        foreach (var token in tokens)
        {
            var delta = stream.Add(token);
            Assert.DoesNotContain('\uFFFD', delta);
            released += delta;
            Assert.StartsWith(released, final, StringComparison.Ordinal);
        }
        Assert.Equal(final, released + stream.Finish(final));
    }

    [Fact]
    public void An_ending_EOS_adds_nothing_and_with_ignore_eos_it_is_text()
    {
        int eos = Model.EosTokenIds.First();
        var tokens = Model.Tokenizer.Encode("Compute 1 + 2.", addSpecialTokens: false).Append(eos).ToArray();
        var plain = new TextStream(Model.Tokenizer, Model.EosTokenIds, ignoreEos: false, []);
        Assert.Equal("Compute 1 + 2.", string.Concat(tokens.Select(plain.Add)));
        var ignoring = new TextStream(Model.Tokenizer, Model.EosTokenIds, ignoreEos: true, []);
        Assert.Equal(Model.Tokenizer.Decode(tokens), string.Concat(tokens.Select(ignoring.Add)));
    }
}
