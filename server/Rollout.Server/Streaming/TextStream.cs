using Rollout.Engine.Tokenization;

namespace Rollout.Server.Streaming;

/// <summary>
/// One choice's text while its tokens arrive, released in deltas that can no longer change, so the deltas add up to
/// exactly the finished rollout's text. Held back: a trailing U+FFFD (a multi-byte character cut between tokens,
/// which the next token may complete), and any tail that could still become a stop string (the engine cuts the text
/// where one starts). An ending EOS adds nothing, as the rollout's text leaves it out.
/// </summary>
internal sealed class TextStream(TextTokenizer tokenizer, IReadOnlySet<int> eosTokenIds, bool ignoreEos, IReadOnlyList<string> stops)
{
    private readonly List<int> _tokens = [];
    private int _released;

    /// <summary>Where the text stood before the last token: the token's offset in the completion's text.</summary>
    public int LastTokenOffset { get; private set; }

    private int _length;

    /// <summary>Adds a sampled token; returns the text that is now certain (often "").</summary>
    public string Add(int tokenId)
    {
        LastTokenOffset = _length;
        if (!ignoreEos && eosTokenIds.Contains(tokenId)) return "";
        _tokens.Add(tokenId);
        // The whole completion is decoded again: byte-level tokens do not decode one by one.
        var text = tokenizer.Decode(_tokens.ToArray());
        _length = text.Length;
        int safe = Certain(text);
        if (safe <= _released) return "";
        var delta = text[_released..safe];
        _released = safe;
        return delta;
    }

    /// <summary>The rest of the rollout's <paramref name="text"/> after what was released.</summary>
    public string Finish(string text) => text.Length > _released ? text[_released..] : "";

    /// <summary>How much of <paramref name="text"/> no later token can change or cut.</summary>
    private int Certain(string text)
    {
        int safe = text.Length;
        while (safe > 0 && text[safe - 1] == '\uFFFD') safe--;
        foreach (var stop in stops)
        {
            int at = text.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0) safe = Math.Min(safe, at);
            // The longest tail that starts the stop string.
            for (int k = Math.Min(stop.Length - 1, text.Length); k > 0; k--)
                if (text.AsSpan(text.Length - k).SequenceEqual(stop.AsSpan(0, k)))
                {
                    safe = Math.Min(safe, text.Length - k);
                    break;
                }
        }
        return safe;
    }
}
