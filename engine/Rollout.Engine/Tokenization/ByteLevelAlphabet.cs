namespace Rollout.Engine.Tokenization;

/// <summary>
/// GPT-2's reversible byte-to-character table: printable Latin-1 bytes stand for themselves, the
/// other bytes map to U+0100 upwards in byte order. Byte-level BPE vocabularies are written in
/// these characters so every token is a printable string.
/// </summary>
public static class ByteLevelAlphabet
{
    private static readonly char[] ByteToChar = BuildTable();
    private static readonly Dictionary<char, byte> CharToByte =
        Enumerable.Range(0, 256).ToDictionary(b => ByteToChar[b], b => (byte)b);

    /// <summary>The GPT-2 pre-tokenizer pattern (contractions, letters, digits, punctuation, whitespace runs).</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    public static char ToChar(byte b) => ByteToChar[b];

    public static bool TryToByte(char c, out byte b) => CharToByte.TryGetValue(c, out b);

    /// <summary>The byte-level spelling of some bytes: one character per byte.</summary>
    public static string Spell(ReadOnlySpan<byte> bytes)
    {
        var chars = new char[bytes.Length];
        for (var i = 0; i < bytes.Length; i++) chars[i] = ByteToChar[bytes[i]];
        return new string(chars);
    }

    /// <summary>
    /// The bytes a token stands for, as HF's ByteLevel decoder reads it: every character mapped back
    /// to its byte, or, when some character is not in the table (an added token such as a run of
    /// spaces), the token's own UTF-8 bytes.
    /// </summary>
    public static byte[] Unspell(string token)
    {
        var bytes = new byte[token.Length];
        for (var i = 0; i < token.Length; i++)
            if (!CharToByte.TryGetValue(token[i], out bytes[i])) return System.Text.Encoding.UTF8.GetBytes(token);
        return bytes;
    }

    private static char[] BuildTable()
    {
        var table = new char[256];
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            var printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            table[b] = printable ? (char)b : (char)next++;
        }
        return table;
    }
}
