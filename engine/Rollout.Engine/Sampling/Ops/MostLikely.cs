namespace Rollout.Engine.Sampling.Ops;

internal static class MostLikely
{
    /// <summary>
    /// Writes the ids of the <c>best.Length</c> largest logits (at most the row's length) into <paramref name="best"/>,
    /// largest first and ties by lowest id, and returns how many. The log-probabilities of softmax(ℓ/τ) rise with the
    /// logit, so these are the most likely tokens, in the order their log-probabilities fall (by logit rather than by
    /// weight: tokens whose weights underflow to 0 keep distinct log-probabilities). One pass with an insertion into
    /// the short sorted list: k is small (vLLM allows 20).
    /// </summary>
    public static int Select(ReadOnlySpan<float> logits, Span<int> best)
    {
        int k = Math.Min(best.Length, logits.Length), n = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            // Ids arrive ascending, so a tie never displaces the lower id already listed.
            if (n == k && !(logits[i] > logits[best[n - 1]])) continue;
            int at = n < k ? n++ : n - 1;
            while (at > 0 && logits[i] > logits[best[at - 1]])
            {
                best[at] = best[at - 1];
                at--;
            }
            best[at] = i;
        }
        return k;
    }
}
