using System.Globalization;

namespace Rollout.Engine.Tokenization;

/// <summary>
/// Finds added tokens in a text the way HF's AddedVocabulary does: leftmost match first, the longest
/// token among those starting there, then the single_word / lstrip / rstrip rules.
/// </summary>
internal sealed class AddedTokenMatcher
{
    private readonly Dictionary<char, AddedToken[]> byFirstChar;

    public AddedTokenMatcher(IEnumerable<AddedToken> tokens) =>
        byFirstChar = tokens.Where(t => t.Content.Length > 0)
            .GroupBy(t => t.Content[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(t => t.Content.Length).ToArray());

    public bool IsEmpty => byFirstChar.Count == 0;

    /// <summary>Cuts <paramref name="text"/> into pieces: plain text (<c>TokenId</c> null) and matched added tokens.</summary>
    public List<(string Text, int? TokenId)> Split(string text)
    {
        var pieces = new List<(string, int?)>();
        var plainStart = 0;
        var pos = 0;
        while (pos < text.Length)
        {
            var token = MatchAt(text, pos);
            if (token == null)
            {
                pos++;
                continue;
            }
            // Like HF, a single_word token that touches a word is skipped whole, not retried shorter.
            if (token.SingleWord && !OnWordBoundaries(text, pos, pos + token.Content.Length))
            {
                pos += token.Content.Length;
                continue;
            }
            var start = pos;
            var end = pos + token.Content.Length;
            if (token.LStrip)
                while (start > plainStart && char.IsWhiteSpace(text[start - 1])) start--;
            if (token.RStrip)
                while (end < text.Length && char.IsWhiteSpace(text[end])) end++;
            if (start > plainStart) pieces.Add((text[plainStart..start], null));
            pieces.Add((text[start..end], token.Id));
            plainStart = pos = end;
        }
        if (plainStart < text.Length) pieces.Add((text[plainStart..], null));
        return pieces;
    }

    private AddedToken? MatchAt(string text, int pos)
    {
        if (!byFirstChar.TryGetValue(text[pos], out var candidates)) return null;
        foreach (var token in candidates)
            if (pos + token.Content.Length <= text.Length &&
                string.CompareOrdinal(text, pos, token.Content, 0, token.Content.Length) == 0)
                return token;
        return null;
    }

    private static bool OnWordBoundaries(string text, int start, int end) =>
        (start == 0 || !IsWordChar(text[start - 1])) && (end == text.Length || !IsWordChar(text[end]));

    /// <summary>Regex \w as HF's Rust code has it: letters, marks, decimal digits, connector punctuation.</summary>
    private static bool IsWordChar(char c) => char.GetUnicodeCategory(c) switch
    {
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
            or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter
            or UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark
            or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.ConnectorPunctuation => true,
        _ => false,
    };
}
