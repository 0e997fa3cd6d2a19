namespace Rollout.Engine.Tokenization;

/// <summary>
/// Decoded text with, for each token i, the char range [TokenStarts[i], TokenEnds[i]) of Text it
/// produced. A character belongs to the token holding its first byte, so a token that ends inside a
/// multi-byte character owns that character, and a token holding only its later bytes has an empty range.
/// </summary>
public sealed record DecodedText(string Text, int[] TokenStarts, int[] TokenEnds);
