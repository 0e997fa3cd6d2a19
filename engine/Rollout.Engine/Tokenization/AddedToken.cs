namespace Rollout.Engine.Tokenization;

/// <summary>
/// A token matched in the text before BPE runs, with HF's flags: <paramref name="LStrip"/>/<paramref name="RStrip"/>
/// swallow whitespace beside it, <paramref name="SingleWord"/> matches only between word boundaries,
/// <paramref name="Normalized"/> matches against the normalized text instead of the raw text.
/// </summary>
internal sealed record AddedToken(int Id, string Content, bool Special, bool LStrip = false, bool RStrip = false,
    bool SingleWord = false, bool Normalized = false);
