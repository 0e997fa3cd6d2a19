namespace Rollout.Engine.Sampling.Ops;

internal static class Greedy
{
    /// <summary>The index of the largest logit, the lowest one on ties (torch.argmax's rule).</summary>
    public static int Argmax(ReadOnlySpan<float> logits)
    {
        var best = 0;
        for (var i = 1; i < logits.Length; i++)
            if (logits[i] > logits[best]) best = i;
        return best;
    }
}
