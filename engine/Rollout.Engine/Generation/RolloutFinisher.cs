using System.Diagnostics;
using Rollout.Engine.L2T;
using Rollout.Engine.Model;
using Rollout.Engine.Probes;
using Rollout.Engine.Tokenization;

namespace Rollout.Engine.Generation;

/// <summary>A finished sequence's result before scoring, with its answer probes J_0..J_K (L2T with an answer).</summary>
internal sealed record FinishedRollout(RolloutResult Result, double[]? Probes);

/// <summary>
/// Turns finished sequences into results in two steps: per batch, text and episodes and with L2T the answer probes
/// (continuing from each sequence's kept cache row, which is then released); per group (the samples of one prompt),
/// with L2T, the rewards and advantages. Shared by sampling and by teacher-forced scoring.
/// </summary>
internal sealed class RolloutFinisher(DecoderSession session, TextTokenizer tokenizer, long padTokenId)
{
    public StageTimes Times { get; private set; } = new(TimeSpan.Zero, TimeSpan.Zero);

    /// <summary>Both steps for rows that hold whole groups, consecutive by prompt id.</summary>
    public List<RolloutResult> Finish(List<SequenceState> rows, GenerationOptions options, L2TRuntime? l2t)
    {
        var finished = Complete(rows, options, l2t);
        var groups = new List<List<FinishedRollout>>();
        for (int i = 0; i < finished.Count; i++)
        {
            if (i == 0 || finished[i].Result.PromptId != finished[i - 1].Result.PromptId) groups.Add([]);
            groups[^1].Add(finished[i]);
        }
        return Score(groups, options, l2t).SelectMany(g => g).ToList();
    }

    /// <summary>Results and probes of one batch's rows, in row order (a dropped row gets its result, unprobed); releases the rows' kept caches.</summary>
    public List<FinishedRollout> Complete(List<SequenceState> rows, GenerationOptions options, L2TRuntime? l2t)
    {
        try
        {
            long start = Stopwatch.GetTimestamp();
            var probes = l2t == null ? new double[]?[rows.Count] : RunProbes(rows, options, l2t);
            if (l2t != null) Times = Times with { Probes = Times.Probes + Stopwatch.GetElapsedTime(start) };
            return rows.Select((r, i) => new FinishedRollout(r.ToResult(tokenizer, options.Episodes), probes[i])).ToList();
        }
        finally
        {
            foreach (var row in rows) row.Retained?.Dispose();
        }
    }

    /// <summary>The groups' results, scored for L2T when it is on (the groups form one scoring batch).</summary>
    public List<List<RolloutResult>> Score(IReadOnlyList<IReadOnlyList<FinishedRollout>> groups, GenerationOptions options, L2TRuntime? l2t)
    {
        if (l2t == null || groups.Count == 0) return groups.Select(g => g.Select(f => f.Result).ToList()).ToList();
        long start = Stopwatch.GetTimestamp();
        var scorer = new RolloutScorer(l2t.Host, l2t.Settings.Options, new AnswerExtractor(), options.MaxNewTokens);
        var scores = scorer.Score(groups.Select(g => (IReadOnlyList<ScoringInput>)g.Select(f => new ScoringInput(f.Result, f.Probes, f.Result.Answer)).ToList()).ToList());
        var results = groups.Select((g, i) => g.Select((f, s) => f.Result with { Score = scores[i][s] }).ToList()).ToList();
        Times = Times with { Scoring = Times.Scoring + Stopwatch.GetElapsedTime(start) };
        return results;
    }

    private double[]?[] RunProbes(List<SequenceState> rows, GenerationOptions options, L2TRuntime l2t)
    {
        var results = rows.Select(r => r.ProbeValues).ToArray();
        var probed = rows.Select((r, i) => (r, i)).Where(x => x.r is { Probe: not null, Dropped: false, ProbeValues: null }).ToList();
        if (probed.Count == 0) return results;
        var probes = new AnswerProbes(session, options.Sampling.PolicyTemperature, padTokenId, maxRows: Math.Max(options.BatchSize, 8), l2t.Kernels);
        var values = probes.Run(probed.Select(x => x.r.ProbeJob(tokenizer, options.Episodes)).ToList());
        for (int j = 0; j < probed.Count; j++) results[probed[j].i] = values[j];
        return results;
    }
}
