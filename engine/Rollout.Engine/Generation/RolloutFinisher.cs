using System.Diagnostics;
using Rollout.Engine.L2T;
using Rollout.Engine.Model;
using Rollout.Engine.Probes;
using Rollout.Engine.Tokenization;

namespace Rollout.Engine.Generation;

/// <summary>
/// Turns a batch of finished sequences into results: text and episodes, and with L2T the answer
/// probes (continuing from each sequence's kept cache row) and the rewards and advantages, the n
/// samples of a prompt forming one group. Shared by sampling and by teacher-forced scoring.
/// </summary>
internal sealed class RolloutFinisher(DecoderSession session, TextTokenizer tokenizer, long padTokenId)
{
    public StageTimes Times { get; private set; } = new(TimeSpan.Zero, TimeSpan.Zero);

    /// <param name="rows">Grouped: the rows of one prompt are consecutive.</param>
    public List<RolloutResult> Finish(List<SequenceState> rows, GenerationOptions options, L2TRuntime? l2t)
    {
        try
        {
            var results = rows.Select(r => r.ToResult(tokenizer, options.Episodes)).ToList();
            if (l2t == null) return results;
            long start = Stopwatch.GetTimestamp();
            var probes = RunProbes(rows, options, l2t);
            long probed = Stopwatch.GetTimestamp();
            var scored = Score(results, probes, rows.Select(r => r.Prompt.Answer).ToList(), options, l2t);
            Times = new StageTimes(Times.Probes + Stopwatch.GetElapsedTime(start, probed), Times.Scoring + Stopwatch.GetElapsedTime(probed));
            return scored;
        }
        finally
        {
            foreach (var row in rows) row.Retained?.Dispose();
        }
    }

    private double[]?[] RunProbes(List<SequenceState> rows, GenerationOptions options, L2TRuntime l2t)
    {
        var probed = rows.Select((r, i) => (r, i)).Where(x => x.r.Probe != null).ToList();
        var results = new double[]?[rows.Count];
        if (probed.Count == 0) return results;
        var probes = new AnswerProbes(session, options.Sampling.PolicyTemperature, padTokenId, maxRows: Math.Max(options.BatchSize, 8), l2t.Kernels);
        var values = probes.Run(probed.Select(x => x.r.ProbeJob(tokenizer, options.Episodes)).ToList());
        for (int j = 0; j < probed.Count; j++) results[probed[j].i] = values[j];
        return results;
    }

    private static List<RolloutResult> Score(List<RolloutResult> results, double[]?[] probes, List<string?> answers, GenerationOptions options, L2TRuntime l2t)
    {
        var groups = new List<List<ScoringInput>>();
        for (int i = 0; i < results.Count; i++)
        {
            if (i == 0 || results[i].PromptId != results[i - 1].PromptId) groups.Add([]);
            groups[^1].Add(new ScoringInput(results[i], probes[i], answers[i]));
        }
        var scorer = new RolloutScorer(l2t.Host, l2t.Settings.Options, new AnswerExtractor(), options.MaxNewTokens);
        return scorer.Score(groups).SelectMany(g => g).Select((score, i) => results[i] with { Score = score }).ToList();
    }
}
