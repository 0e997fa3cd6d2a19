namespace Rollout.Engine.Generation;

/// <summary>
/// Finds user stop strings in the text decoded so far, incrementally: each call searches only where
/// an occurrence could end in the text added since the last call, so a stop string spanning several
/// tokens is found at the token that completes it. As in vLLM's default, the stop string is not part of
/// the output: the text is cut where it starts.
/// </summary>
public sealed class StopStrings
{
    private readonly string[] _stops;

    public StopStrings(IEnumerable<string> stops)
    {
        _stops = stops.ToArray();
        if (_stops.Any(string.IsNullOrEmpty)) throw InputException.ForSetting(nameof(GenerationOptions.StopStrings), ": a stop string cannot be empty");
    }

    /// <summary>
    /// The earliest occurrence of any stop string in <paramref name="text"/> that ends after char
    /// <paramref name="checkedLength"/> (the text's length at the previous call; 0 on the first).
    /// Occurrences ending earlier were reported by an earlier call. On a tie the first listed stop string wins.
    /// </summary>
    /// <param name="start">Where the stop string starts: the output text is <c>text[..start]</c>.</param>
    /// <param name="stop">The stop string found.</param>
    public bool TryFind(string text, int checkedLength, out int start, out string stop)
    {
        start = -1;
        stop = "";
        foreach (var s in _stops)
        {
            var from = Math.Clamp(checkedLength - s.Length + 1, 0, text.Length);
            var i = text.IndexOf(s, from, StringComparison.Ordinal);
            if (i < 0 || (start >= 0 && i >= start)) continue;
            start = i;
            stop = s;
        }
        return start >= 0;
    }
}
