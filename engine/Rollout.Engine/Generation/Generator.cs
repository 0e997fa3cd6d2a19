using Rollout.Engine.Model;

namespace Rollout.Engine.Generation;

/// <summary>
/// Batched, KV-cached sampling. Requests' samples are planned in chunks and batches (see <see cref="BatchPlan"/>) and
/// decoded by the schedule the graph allows: continuous batching over one in-place KV buffer for fused graphs
/// (<see cref="SlotBatches"/>), static padded batches for Optimum-layout graphs (<see cref="PaddedBatches"/>). Rows end at
/// EOS, a stop token or string, the token budget or the context window. With L2T on, every step also yields the rows'
/// step features and its answer probes (run in its slot in continuous batches; from its kept cache row, with its static
/// batch's, in padded ones), and a planned batch's groups are scored once all their samples are.
/// </summary>
internal sealed class Generator
{
    private readonly DecoderSession _session;
    private readonly ModelFolder _model;
    private readonly RolloutFinisher _finisher;
    private readonly TeacherForcer _teacher;
    private readonly int _lanes;

    /// <param name="lanes">Decode lanes of a fused graph's continuous batches (see <see cref="SlotBatches"/>).</param>
    public Generator(ModelFolder model, DecoderSession session, int lanes = 1)
    {
        _session = session;
        _lanes = lanes;
        _model = model;
        _finisher = new RolloutFinisher(session, model.Tokenizer, model.PadTokenId);
        _teacher = new TeacherForcer(session, model.Tokenizer, model.EosTokenIds, _finisher);
    }

    /// <summary>Scores given completions by teacher forcing (see <see cref="TeacherForcer"/>).</summary>
    public List<RolloutResult> Score(IReadOnlyList<GivenCompletion> completions, GenerationOptions options, L2TRuntime? l2t)
    {
        options.Validate();
        return _teacher.Score(completions, options, l2t);
    }

    public int ContextWindow => _session.Config.MaxPositions;

    public StageTimes Times => _finisher.Times;

    /// <summary>
    /// Rollouts in request order, each request's samples in sample order, as soon as they and those before them are
    /// done. <paramref name="onToken"/> is told of every sampled token. The first <paramref name="skip"/> rollouts are
    /// not yielded: they were written by an interrupted run. Decoding restarts at the batch that holds the first
    /// sample of their request, so what follows is exactly what an uninterrupted run yields.
    /// </summary>
    public IEnumerable<RolloutResult> Generate(IReadOnlyList<GenerationRequest> requests, L2TRuntime? l2t, Action<SampledToken>? onToken,
        int skip, CancellationToken cancel)
    {
        var shared = SharedOptions(requests);
        var firstRollout = new int[requests.Count + 1];
        for (int r = 0; r < requests.Count; r++) firstRollout[r + 1] = firstRollout[r] + requests[r].Options.SamplesPerPrompt;
        if (skip < 0 || skip > firstRollout[^1]) throw new ArgumentOutOfRangeException(nameof(skip), $"{skip} is not in [0, {firstRollout[^1]}]");

        var plan = BatchPlan.Pack(requests.Select(r => r.Options.SamplesPerPrompt).ToList(), shared.BatchSize);
        var batches = plan.Skip(ResumeBatch(plan, firstRollout, skip)).ToList();
        var chooser = new TokenChooser(_model.Tokenizer, _model.EosTokenIds, ContextWindow, onToken);
        var finishing = _session.Signature.SharesKvBuffer
            ? new SlotBatches(_session, _model, chooser, _lanes).Decode(requests, batches, shared.BatchSize, l2t, cancel)
            : new PaddedBatches(_session, _model, chooser).Decode(requests, batches, l2t, cancel);
        var order = new ResultOrder(requests, batches);
        var unprobed = new List<SequenceState>();
        try
        {
            using var rows = finishing.GetEnumerator();
            bool more;
            do
            {
                more = rows.MoveNext();
                if (more) unprobed.AddRange(rows.Current);
                // A static batch's rows are probed together (as they always have been); continuous batches' rows come probed.
                if (unprobed.Count > 0)
                {
                    var finished = _finisher.Complete(unprobed, shared, l2t);
                    for (int i = 0; i < unprobed.Count; i++) order.Add(unprobed[i], finished[i]);
                    unprobed.Clear();
                }
                if (l2t == null)
                {
                    // Nothing is scored per group: each rollout goes out as soon as it is next, so memory does not grow with n.
                    foreach (var (request, sample, rollout) in order.NextRollouts())
                        if (firstRollout[request] + sample >= skip) yield return rollout.Result;
                    continue;
                }
                while (order.NextScoringBatch() is { } groups)
                {
                    var results = _finisher.Score(groups.Select(g => (IReadOnlyList<FinishedRollout>)g.Group).ToList(), shared, l2t);
                    for (int g = 0; g < groups.Count; g++)
                        for (int s = 0; s < results[g].Count; s++)
                            if (firstRollout[groups[g].Request] + s >= skip) yield return results[g][s];
                }
            } while (more);
        }
        finally
        {
            foreach (var row in unprobed) row.Retained?.Dispose();
        }
    }

    /// <summary>
    /// The first batch to decode when the first <paramref name="skip"/> rollouts exist: the one holding the first chunk of
    /// the request of rollout <paramref name="skip"/>, moved back while it starts inside an earlier request's group, so each
    /// batch is decoded, probed and scored with the same rows as in an uninterrupted run.
    /// </summary>
    private static int ResumeBatch(List<List<SampleChunk>> plan, int[] firstRollout, int skip)
    {
        if (skip == 0) return 0;
        int request = Array.FindLastIndex(firstRollout, firstRollout.Length - 2, firstRollout.Length - 1, start => start <= skip);
        int batch = plan.FindIndex(b => b.Any(c => c.Request == request));
        while (batch > 0 && plan[batch][0].FirstSample > 0) batch--;
        return batch;
    }

    /// <summary>The settings a batch shares, checked to agree across the requests (see <see cref="GenerationRequest"/>).</summary>
    private static GenerationOptions SharedOptions(IReadOnlyList<GenerationRequest> requests)
    {
        if (requests.Count == 0) return new GenerationOptions();
        var first = requests[0].Options;
        foreach (var request in requests)
        {
            var o = request.Options;
            o.Validate();
            if (o.BatchSize != first.BatchSize || o.Episodes != first.Episodes || o.L2T != first.L2T)
                throw new InputException($"request '{request.Prompt.Id}': the batch size, episodes and L2T settings must be the same for every request decoded together");
            if (first.L2T != null && (o.Sampling != first.Sampling || o.MaxNewTokens != first.MaxNewTokens))
                throw new InputException($"request '{request.Prompt.Id}': with L2T, the sampling settings and the token budget must be the same for every request decoded together");
        }
        return first;
    }
}
