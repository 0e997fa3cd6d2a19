using System.Globalization;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace Rollout.Engine.Tokenization;

/// <summary>Reads a SentencePiece tokenizer.model (Llama-2, Mistral, Gemma style) through Microsoft.ML.Tokenizers.</summary>
internal static class SentencePieceFile
{
    private sealed class Encoder(SentencePieceTokenizer tokenizer) : ISegmentEncoder
    {
        public void Encode(string segment, List<int> ids) =>
            ids.AddRange(tokenizer.EncodeToIds(segment, false, false));
    }

    public static TokenizerModel Load(string file)
    {
        var bytes = File.ReadAllBytes(file);
        SentencePieceTokenizer tokenizer;
        try
        {
            tokenizer = SentencePieceTokenizer.Create(new MemoryStream(bytes), false, false);
        }
        catch (Exception e)
        {
            throw new InputException($"{file}: not a readable SentencePiece model ({e.Message})", e);
        }
        return new TokenizerModel(
            new Encoder(tokenizer), TextNormalizer.Identity,
            tokenizer.Vocabulary.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal),
            [], Template: null, AddBosByDefault: true, PieceBytes,
            StripLeadingSpace: tokenizer.AddDummyPrefix);
    }

    /// <summary>"▁" is a space; "&lt;0xNN&gt;" is the byte NN (byte fallback).</summary>
    private static byte[] PieceBytes(string piece) =>
        piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal) && piece[5] == '>' &&
        byte.TryParse(piece.AsSpan(3, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var b)
            ? [b]
            : Encoding.UTF8.GetBytes(piece.Replace('▁', ' '));
}
