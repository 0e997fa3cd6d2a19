using Rollout.Engine.Features;
using Rollout.Engine.Model;
using Rollout.Engine.Sampling.Ops;

namespace Rollout.Engine.Probes;

/// <summary>
/// The answer probes of L2T-SPEC §3: J(c) = exp(mean_j log π(y*_j | c, cue, y*_&lt;j)), teacher-forced
/// after each context c. Nothing is computed twice:
/// <list type="bullet">
/// <item>a probe continues from its rollout's cached prefix, and where the rollout itself went on with the
/// cue (and answer), from there: those tokens are cached, and the answer tokens the rollout sampled already
/// have their log-probabilities (the final probe of a well-formatted rollout usually costs nothing);</item>
/// <item>probes with the same context (prompt and completion prefix), such as J_0 of a group whose samples
/// begin alike, are computed once;</item>
/// <item>the rest run together, their caches gathered into zero-padded batches (similar lengths side by side)
/// whose padding is masked out, feeding only what the cache lacks up to the last answer token's predecessor.</item>
/// </list>
/// With a head core, the probes' logits get the same shift as the sampler's, so J is measured under the policy.
/// </summary>
internal sealed class AnswerProbes(DecoderSession session, double temperature, long padTokenId, int maxRows, StepKernels? coreShift)
{
    /// <summary>J values, one array per job, one entry per context length.</summary>
    public double[][] Run(IReadOnlyList<ProbeJob> jobs)
    {
        var results = jobs.Select(j => new double[j.ContextLengths.Length]).ToArray();
        var distinct = new Dictionary<ProbeContext, ProbePlan>();
        var copies = new List<(ProbeContext Context, int Job, int K)>();
        for (int j = 0; j < jobs.Count; j++)
            for (int k = 0; k < jobs[j].ContextLengths.Length; k++)
            {
                var context = new ProbeContext(jobs[j], jobs[j].ContextLengths[k]);
                var plan = ProbePlan.For(jobs[j], j, jobs[j].ContextLengths[k]);
                // Of probes with one context, the one whose rollout already holds most of it is computed.
                if (!distinct.TryGetValue(context, out var chosen) || plan.Fed.Length < chosen.Fed.Length) distinct[context] = plan;
                copies.Add((context, j, k));
            }

        var values = new Dictionary<ProbePlan, double>(ReferenceEqualityComparer.Instance);
        var toRun = new List<ProbePlan>();
        foreach (var plan in distinct.Values)
        {
            if (plan.Fed.Length == 0) values[plan] = plan.J(jobs[plan.Job], runLogProbs: []);
            else toRun.Add(plan);
        }
        // Probes of like length side by side: a chunk pays for its longest feed on every row, its longest past in attention.
        foreach (var chunk in toRun.OrderByDescending(p => p.Fed.Length).ThenByDescending(p => p.Past).Chunk(maxRows))
            RunChunk(jobs, chunk, values);
        foreach (var (context, j, k) in copies) results[j][k] = values[distinct[context]];
        return results;
    }

    private void RunChunk(IReadOnlyList<ProbeJob> jobs, ProbePlan[] chunk, Dictionary<ProbePlan, double> values)
    {
        var logProbs = chunk.Select(p => new double[p.RunPositions.Length]).ToArray();
        if (session.Signature.SharesKvBuffer) RunFused(jobs, chunk, logProbs);
        else RunPadded(jobs, chunk, logProbs);
        for (int i = 0; i < chunk.Length; i++) values[chunk[i]] = chunk[i].J(jobs[chunk[i].Job], logProbs[i]);
    }

    /// <summary>An Optimum-layout graph: every row's fed tokens in one run, after the padded past.</summary>
    private void RunPadded(IReadOnlyList<ProbeJob> jobs, ProbePlan[] chunk, double[][] logProbs)
    {
        int pastLength = chunk.Max(p => p.Past);
        int newLength = chunk.Max(p => p.Fed.Length);
        int total = pastLength + newLength;
        var ids = new long[chunk.Length * newLength];
        var mask = new long[chunk.Length * total];
        var positions = new long[chunk.Length * newLength];
        for (int i = 0; i < chunk.Length; i++)
        {
            var (plan, job) = (chunk[i], jobs[chunk[i].Job]);
            var rowMask = mask.AsSpan(i * total, total);
            for (int t = 0; t < plan.Past; t++) rowMask[t] = t < job.PromptMask.Length ? job.PromptMask[t] : 1;
            rowMask.Slice(pastLength, plan.Fed.Length).Fill(1);
            int padding = job.PromptMask.Length - job.PromptTokens.Length;
            for (int t = 0; t < newLength; t++)
            {
                bool real = t < plan.Fed.Length;
                ids[i * newLength + t] = real ? plan.Fed[t] : padTokenId;
                positions[i * newLength + t] = real ? plan.Past + t - padding : 0;
            }
        }

        // Logits only where some row predicts an answer token the rollout did not sample (not at the cue's positions).
        var read = chunk.SelectMany(p => p.RunPositions).Distinct().Order().ToArray();
        using var past = KvCache.Gather(chunk.Select(p => (jobs[p.Job].Cache!, 0, p.Past)).ToList(), pastLength);
        using var step = session.Run(ids, mask, positions, newLength, past, withHiddenStates: coreShift is { HasCore: true },
            outputPositions: read.Select(p => (long)p).ToArray());
        using var present = step.Present;
        var entries = chunk.SelectMany((p, i) => p.RunPositions.Select((position, j) => (Row: i, Position: Array.BinarySearch(read, position), J: j))).ToList();
        Read(step, chunk, entries, logProbs);
    }

    /// <summary>
    /// A fused graph, whose attention takes several new tokens after a past for one row at a time only: the rows feed
    /// their tokens together one position per run, each right after its own past in one buffer written in place.
    /// </summary>
    private void RunFused(IReadOnlyList<ProbeJob> jobs, ProbePlan[] chunk, double[][] logProbs)
    {
        int newLength = chunk.Max(p => p.Fed.Length);
        using var cache = KvCache.Gather(chunk.Select(p => (jobs[p.Job].Cache!, 0, p.Past)).ToList(), chunk.Max(p => p.Past) + newLength);
        for (int t = 0; t < newLength; t++)
        {
            int width = chunk.Max(p => p.Past) + t + 1;
            var ids = new long[chunk.Length];
            var mask = new long[chunk.Length * width];
            var positions = new long[chunk.Length];
            for (int i = 0; i < chunk.Length; i++)
            {
                var plan = chunk[i];
                // A row whose tokens are all fed takes padding after them, which nothing reads.
                ids[i] = t < plan.Fed.Length ? plan.Fed[t] : padTokenId;
                positions[i] = plan.Past + t;
                mask.AsSpan(i * width, plan.Past + t + 1).Fill(1);
            }
            var entries = chunk.SelectMany((p, i) => p.RunPositions.Select((position, j) => (Row: i, Position: 0, J: j, At: position)))
                .Where(e => e.At == t).Select(e => (e.Row, e.Position, e.J)).ToList();
            using var step = session.Run(ids, mask, positions, 1, cache, withHiddenStates: coreShift is { HasCore: true });
            if (entries.Count > 0) Read(step, chunk, entries, logProbs);
        }
    }

    /// <summary>The log-probability of each entry's answer token (plan = chunk row, J = its computed answer token) from the step's logits at (row, position).</summary>
    private void Read(DecoderStep step, ProbePlan[] chunk, List<(int Row, int Position, int J)> entries, double[][] logProbs)
    {
        var sources = entries.Select(e => (e.Row, e.Position)).ToList();
        if (coreShift is { HasCore: true }) coreShift.Prepare(step, sources, writtenInPlace: false);
        for (int k = 0; k < entries.Count; k++)
        {
            var (row, position, j) = entries[k];
            var logits = coreShift is { HasCore: true } ? coreShift.ShiftedLogits(k) : step.Logits(row, position);
            logProbs[row][j] = Softmax.LogProbability(logits, chunk[row].RunTokens[j], temperature);
        }
    }
}
