namespace Rollout.Engine.Probes;

/// <summary>
/// How one probe is computed. With c = cue + answer following a context of L completion tokens, and m = how
/// many of c the rollout itself sampled next: answer tokens among those m take the rollout's log-probabilities;
/// the others need logits, so the tokens before them are fed, continuing from <see cref="Past"/> cached
/// positions (padded prompt coordinates) — the context and the matched tokens, as far as the cache holds them.
/// When the cue is empty and nothing matched, the context's last token is fed again for the first answer token's logits.
/// </summary>
/// <param name="Fed">The tokens run (empty when the rollout holds the whole probe).</param>
/// <param name="RunPositions">Where in <paramref name="Fed"/> the logits of each computed answer token are.</param>
/// <param name="RunTokens">Those answer tokens.</param>
/// <param name="FromRollout">Completion indices of the answer tokens the rollout sampled.</param>
internal sealed record ProbePlan(int Job, int Past, int[] Fed, int[] RunPositions, int[] RunTokens, int[] FromRollout)
{
    public static ProbePlan For(ProbeJob job, int jobIndex, int length)
    {
        var probe = job.Probe.All;
        int cue = job.Probe.Cue.Length, n = probe.Length;
        int matched = 0;
        while (matched < n && length + matched < job.Completion.Length && job.Completion[length + matched] == probe[matched]) matched++;

        int firstComputed = Math.Max(matched, cue);
        var fromRollout = Enumerable.Range(cue, Math.Max(0, matched - cue)).Select(i => length + i).ToArray();
        if (firstComputed >= n) return new ProbePlan(jobIndex, 0, [], [], [], fromRollout);

        int promptWidth = job.PromptMask.Length;
        // First probe index fed: the predecessor of the first computed answer token, or the first token the cache lacks.
        int start = Math.Min(Math.Min(firstComputed - 1, matched), job.Cached - promptWidth - length);
        var fed = new int[n - 1 - start];
        for (int i = start; i < n - 1; i++)
            fed[i - start] = i >= 0 ? probe[i] : length > 0 ? job.Completion[length - 1] : job.PromptTokens[^1];
        var runPositions = Enumerable.Range(firstComputed, n - firstComputed).Select(i => i - 1 - start).ToArray();
        return new ProbePlan(jobIndex, promptWidth + length + start, fed, runPositions, probe[firstComputed..], fromRollout);
    }

    /// <summary>J from the computed answer tokens' log-probabilities and the rollout's for the rest.</summary>
    public double J(ProbeJob job, double[] runLogProbs) =>
        Math.Exp((FromRollout.Sum(t => (double)job.Logprobs[t]) + runLogProbs.Sum()) / job.Probe.Answer.Length);
}
