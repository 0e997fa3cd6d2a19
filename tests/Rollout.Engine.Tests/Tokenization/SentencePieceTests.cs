using System.Text;
using Rollout.Engine.Tokenization;
using Rollout.Tests;

namespace Rollout.Engine.Tests.Tokenization;

/// <summary>
/// The SentencePiece path on a tiny hand-written BPE model (protobuf written byte by byte), with the
/// expected ids worked out by hand from SentencePiece's rule: merge the highest-scored piece first.
/// </summary>
public sealed class SentencePieceTests
{
    // id: 0 <unk>, 1 <s>, 2 </s>, 3 ▁, 4 a, 5 b, 6 c, 7 ▁a, 8 ab, 9 ▁ab
    private static readonly (string Piece, float Score, int Type)[] Pieces =
    [
        ("<unk>", 0, 2), ("<s>", 0, 3), ("</s>", 0, 3),
        ("▁", -10, 1), ("a", -11, 1), ("b", -12, 1), ("c", -13, 1),
        ("▁a", -1, 1), ("ab", -2, 1), ("▁ab", -3, 1),
    ];

    private static TextTokenizer LoadTinyModel()
    {
        var dir = RepoPaths.NewTempDir("tok-sentencepiece");
        File.WriteAllBytes(Path.Combine(dir, "tokenizer.model"), ModelProto());
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"),
            """{ "tokenizer_class": "LlamaTokenizer", "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>" }""");
        return TextTokenizer.Load(dir);
    }

    [Fact]
    public void Encodes_with_the_dummy_prefix_and_bos()
    {
        var tokenizer = LoadTinyModel();
        // "ab ab c" → "▁ab▁ab▁c": ▁a (score -1) merges first, then ▁ab; "▁c" is no piece.
        Assert.Equal([1, 9, 9, 3, 6], tokenizer.Encode("ab ab c"));
        Assert.Equal([9, 9, 3, 6], tokenizer.Encode("ab ab c", addSpecialTokens: false));
        Assert.Equal(1, tokenizer.BosTokenId);
        Assert.Equal(10, tokenizer.VocabSize);
    }

    [Fact]
    public void Decodes_without_the_dummy_prefix()
    {
        var tokenizer = LoadTinyModel();
        Assert.Equal("ab ab c", tokenizer.Decode([1, 9, 9, 3, 6], skipSpecialTokens: true));
        var decoded = tokenizer.DecodeWithOffsets([9, 9, 3, 6]);
        Assert.Equal("ab ab c", decoded.Text);
        Assert.Equal([0, 2, 5, 6], decoded.TokenStarts);
        Assert.Equal([2, 5, 6, 7], decoded.TokenEnds);
    }

    private static byte[] ModelProto()
    {
        var model = new List<byte>();
        foreach (var (piece, score, type) in Pieces)
        {
            var entry = new List<byte>();
            Bytes(entry, 1, Encoding.UTF8.GetBytes(piece));
            entry.Add(2 << 3 | 5); // score: fixed32 float
            entry.AddRange(BitConverter.GetBytes(score));
            Varint(entry, 3, (ulong)type);
            Bytes(model, 1, [.. entry]);
        }
        var trainer = new List<byte>();
        Varint(trainer, 3, 2);                        // model_type = BPE
        Varint(trainer, 40, 0);                       // unk_id
        Varint(trainer, 41, 1);                       // bos_id
        Varint(trainer, 42, 2);                       // eos_id
        Varint(trainer, 43, unchecked((ulong)-1L));   // pad_id = -1
        Bytes(model, 2, [.. trainer]);
        var normalizer = new List<byte>();
        Bytes(normalizer, 1, "identity"u8.ToArray());
        Varint(normalizer, 3, 1);                     // add_dummy_prefix
        Varint(normalizer, 4, 1);                     // remove_extra_whitespaces
        Varint(normalizer, 5, 1);                     // escape_whitespaces
        Bytes(model, 3, [.. normalizer]);
        return [.. model];
    }

    private static void Varint(List<byte> to, int field, ulong value)
    {
        WriteVarint(to, (ulong)(field << 3));
        WriteVarint(to, value);
    }

    private static void Bytes(List<byte> to, int field, byte[] value)
    {
        WriteVarint(to, (ulong)(field << 3 | 2));
        WriteVarint(to, (ulong)value.Length);
        to.AddRange(value);
    }

    private static void WriteVarint(List<byte> to, ulong value)
    {
        while (value >= 0x80)
        {
            to.Add((byte)(value | 0x80));
            value >>= 7;
        }
        to.Add((byte)value);
    }
}
