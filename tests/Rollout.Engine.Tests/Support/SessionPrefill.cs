using Rollout.Engine.Model;

namespace Rollout.Engine.Tests.Support;

/// <summary>One sequence run through a session from an empty cache, for comparing what two sessions compute.</summary>
internal static class SessionPrefill
{
    /// <summary>Every position's logits, [tokens, V] row-major.</summary>
    public static float[] Logits(DecoderSession session, int[] tokens)
    {
        using var empty = KvCache.Empty(session.Signature, 1);
        using var step = session.Run(tokens.Select(t => (long)t).ToArray(), tokens.Select(_ => 1L).ToArray(),
            Enumerable.Range(0, tokens.Length).Select(i => (long)i).ToArray(), tokens.Length, empty, withHiddenStates: false);
        using var present = step.Present;
        return step.AllLogits.ToArray();
    }
}
