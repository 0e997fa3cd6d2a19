using Rollout.Engine.Tokenization;

namespace Rollout.Engine.Tests.Tokenization;

/// <summary>Char spans of tokens in decoded text, on the trained tokenizer whose ids 0..255 are the raw bytes.</summary>
public sealed class DecodeWithOffsetsTests
{
    private static readonly TextTokenizer Tokenizer = TextTokenizer.Load(TrainedTokenizerFolder.Path);

    [Fact]
    public void A_tag_spelled_over_several_tokens_maps_to_those_tokens()
    {
        // "ok <episode_2>" written as plain text tokens, not the special token: "ok", " <", "epis", "ode_", "2>".
        string[] pieces = ["ok", " <", "epis", "ode_", "2>"];
        var ids = new List<int>();
        var pieceOfToken = new List<int>();
        for (var p = 0; p < pieces.Length; p++)
        {
            var pieceIds = Tokenizer.Encode(pieces[p], addSpecialTokens: false);
            ids.AddRange(pieceIds);
            pieceOfToken.AddRange(Enumerable.Repeat(p, pieceIds.Count));
        }
        var decoded = Tokenizer.DecodeWithOffsets(ids.ToArray());
        Assert.Equal("ok <episode_2>", decoded.Text);

        var tagStart = decoded.Text.IndexOf("<episode_2>", StringComparison.Ordinal); // 3
        var tagEnd = tagStart + "<episode_2>".Length;                                  // 14
        var tagTokens = Enumerable.Range(0, ids.Count).Where(i => decoded.TokenStarts[i] < tagEnd && decoded.TokenEnds[i] > tagStart);
        // The tag starts inside piece 1 (" <", the space is char 2) and ends with piece 4.
        Assert.Equal([1, 2, 3, 4], tagTokens.Select(i => pieceOfToken[i]).Distinct());
        Assert.Equal(2, decoded.TokenStarts[pieceOfToken.IndexOf(1)]);
        Assert.Equal(14, decoded.TokenEnds[^1]);
    }

    [Fact]
    public void Spans_tile_the_text()
    {
        var ids = Tokenizer.Encode("<think><episode_1>Add 2 and 2.</episode_1></think>The answer is 4.").ToArray();
        var decoded = Tokenizer.DecodeWithOffsets(ids);
        for (var i = 0; i < ids.Length; i++)
        {
            Assert.Equal(i == 0 ? 0 : decoded.TokenEnds[i - 1], decoded.TokenStarts[i]);
            Assert.Equal(Tokenizer.Decode([ids[i]]), decoded.Text[decoded.TokenStarts[i]..decoded.TokenEnds[i]]);
        }
        Assert.Equal(decoded.Text.Length, decoded.TokenEnds[^1]);
    }

    [Fact]
    public void A_character_belongs_to_the_token_holding_its_first_byte()
    {
        // "a€😀": a = 61; € = E2 82 AC; 😀 = F0 9F 98 80 (two UTF-16 chars). Tokens cut through both characters.
        int[] ids = [0x61, 0xE2, 0x82, 0xAC, 0xF0, 0x9F, 0x98, 0x80];
        var decoded = Tokenizer.DecodeWithOffsets(ids);
        Assert.Equal("a€😀", decoded.Text);
        Assert.Equal([0, 1, 2, 2, 2, 4, 4, 4], decoded.TokenStarts);
        Assert.Equal([1, 2, 2, 2, 4, 4, 4, 4], decoded.TokenEnds);
    }

    [Fact]
    public void Bad_bytes_become_replacement_characters_owned_by_their_token()
    {
        // FF is never valid; E2 82 then "b" is a cut-off sequence: one U+FFFD for both bytes.
        int[] ids = [0xFF, 0xE2, 0x82, 0x62];
        var decoded = Tokenizer.DecodeWithOffsets(ids);
        Assert.Equal("\uFFFD\uFFFDb", decoded.Text);
        Assert.Equal([0, 1, 2, 2], decoded.TokenStarts);
        Assert.Equal([1, 2, 2, 3], decoded.TokenEnds);
    }

    [Fact]
    public void Empty_input_gives_empty_text() =>
        Assert.Equal("", Tokenizer.DecodeWithOffsets([]).Text);
}
