using Rollout.Engine.Model;

namespace Rollout.Engine.Probes;

/// <summary>What a probe feeds after its context: the answer cue, then the reference answer y* whose probability J measures.</summary>
public sealed record ProbeTokens(int[] Cue, int[] Answer)
{
    public int Length => Cue.Length + Answer.Length;
}

/// <summary>
/// One finished rollout's material for the probes: its KV cache row as generation left it (the
/// padded prompt and every completion token but the last), the prompt's padded mask, and the context
/// lengths L_0..L_K (completion tokens) after which J is measured.
/// </summary>
public sealed record ProbeJob(KvCache Cache, long[] PromptMask, int[] PromptTokens, int[] Completion, int[] ContextLengths, ProbeTokens Probe);

/// <summary>
/// The answer probes of L2T-SPEC §3: J(c) = exp(mean_j log π(y*_j | c, cue, y*_&lt;j)), teacher-forced
/// after each context c. A probe continues from its rollout's cached prefix (only the uncached tail of
/// c, the cue and the answer are fed), and probes of many rollouts run together, their caches gathered
/// into one zero-padded batch whose padding is masked out.
/// </summary>
public sealed class AnswerProbes(DecoderSession session, double temperature, long padTokenId, int maxRows)
{
    /// <summary>J values, one array per job, one entry per context length.</summary>
    public double[][] Run(IReadOnlyList<ProbeJob> jobs)
    {
        var results = jobs.Select(j => new double[j.ContextLengths.Length]).ToArray();
        var probes = jobs.SelectMany((job, j) => job.ContextLengths.Select((_, k) => (Job: j, K: k))).ToList();
        foreach (var chunk in probes.Chunk(maxRows))
            RunChunk(jobs, chunk, results);
        return results;
    }

    private void RunChunk(IReadOnlyList<ProbeJob> jobs, (int Job, int K)[] chunk, double[][] results)
    {
        var rows = chunk.Select(p => Layout(jobs[p.Job], jobs[p.Job].ContextLengths[p.K])).ToArray();
        int pastLength = rows.Max(r => r.Past);
        int newLength = rows.Max(r => r.Tokens.Length);
        int total = pastLength + newLength;
        var ids = new long[chunk.Length * newLength];
        var mask = new long[chunk.Length * total];
        var positions = new long[chunk.Length * newLength];
        for (int i = 0; i < chunk.Length; i++)
        {
            var (job, row) = (jobs[chunk[i].Job], rows[i]);
            var rowMask = mask.AsSpan(i * total, total);
            for (int t = 0; t < row.Past; t++) rowMask[t] = t < job.PromptMask.Length ? job.PromptMask[t] : 1;
            rowMask.Slice(pastLength, row.Tokens.Length).Fill(1);
            int padding = job.PromptMask.Length - job.PromptTokens.Length;
            for (int t = 0; t < newLength; t++)
            {
                bool real = t < row.Tokens.Length;
                ids[i * newLength + t] = real ? row.Tokens[t] : padTokenId;
                positions[i * newLength + t] = real ? row.Past + t - padding : 0;
            }
        }

        using var past = KvCache.Gather(rows.Select((r, i) => (jobs[chunk[i].Job].Cache, r.Past)).ToList(), pastLength);
        using var step = session.Run(ids, mask, positions, newLength, past, withHiddenStates: false);
        using var present = step.Present;
        for (int i = 0; i < chunk.Length; i++)
        {
            var (job, row) = (jobs[chunk[i].Job], rows[i]);
            double sum = 0;
            var answer = job.Probe.Answer;
            for (int j = 0; j < answer.Length; j++)
                sum += LogProb(step.Logits(i, row.FirstAnswer + j - 1), answer[j]);
            results[chunk[i].Job][chunk[i].K] = Math.Exp(sum / answer.Length);
        }
    }

    /// <summary>
    /// Which cached positions a probe reuses and which tokens it feeds. The sequence is the padded
    /// prompt then the completion; the context ends at <c>padded prompt + contextLength</c>. At least one
    /// context token is fed again so that the first cue (or answer) token has logits predicting it.
    /// </summary>
    private (int Past, int[] Tokens, int FirstAnswer) Layout(ProbeJob job, int contextLength)
    {
        int promptWidth = job.PromptMask.Length;
        int end = promptWidth + contextLength;
        int past = Math.Min(end, job.Cache.Length) - 1;
        int padding = promptWidth - job.PromptTokens.Length;
        var tail = Enumerable.Range(past, end - past)
            .Select(i => i < promptWidth ? job.PromptTokens[i - padding] : job.Completion[i - promptWidth]);
        var tokens = tail.Concat(job.Probe.Cue).Concat(job.Probe.Answer).ToArray();
        return (past, tokens, end - past + job.Probe.Cue.Length);
    }

    private double LogProb(ReadOnlySpan<float> logits, int token)
    {
        double max = double.NegativeInfinity;
        foreach (var l in logits) max = Math.Max(max, l / temperature);
        double sum = 0;
        foreach (var l in logits) sum += Math.Exp(l / temperature - max);
        return logits[token] / temperature - max - Math.Log(sum);
    }
}
