namespace Rollout.Engine.Generation;

/// <summary>
/// Puts finished rollouts back in request order, each request's samples in order, whatever order the rows ended in,
/// and says when the groups of a scoring batch are all there. A scoring batch is the requests whose last chunk
/// is in one planned batch (see <see cref="BatchPlan"/>), whichever schedule decoded them, so L2T's batch-wide
/// statistics see the same groups together. A cancelled request yields nothing more.
/// </summary>
internal sealed class ResultOrder
{
    private readonly IReadOnlyList<GenerationRequest> _requests;
    private readonly FinishedRollout?[]?[] _done;
    /// <summary>Per planned batch (from the first one decoded), the requests it completes.</summary>
    private readonly List<List<int>> _scoringBatches;
    private int _nextBatch, _nextRequest, _nextSample;

    /// <param name="batches">The planned batches decoded, in order; the first begins a request's group.</param>
    public ResultOrder(IReadOnlyList<GenerationRequest> requests, IReadOnlyList<List<SampleChunk>> batches)
    {
        _requests = requests;
        _done = new FinishedRollout?[]?[requests.Count];
        _scoringBatches = batches.Select(b => b.Where(c => c.FirstSample + c.Count == requests[c.Request].Options.SamplesPerPrompt)
            .Select(c => c.Request).ToList()).ToList();
        _nextRequest = batches.Count > 0 ? batches[0][0].Request : requests.Count;
    }

    public void Add(SequenceState row, FinishedRollout rollout) =>
        (_done[row.Request] ??= new FinishedRollout?[_requests[row.Request].Options.SamplesPerPrompt])[row.Sample] = rollout;

    /// <summary>The next rollouts in order that have finished, each handed out once (request index, sample, rollout).</summary>
    public IEnumerable<(int Request, int Sample, FinishedRollout Rollout)> NextRollouts()
    {
        while (_nextRequest < _requests.Count)
        {
            if (_requests[_nextRequest].Cancellation.IsCancellationRequested) { NextRequest(); continue; }
            if (_done[_nextRequest]?[_nextSample] is not { } rollout) yield break;
            _done[_nextRequest]![_nextSample] = null;
            yield return (_nextRequest, _nextSample, rollout);
            if (++_nextSample == _requests[_nextRequest].Options.SamplesPerPrompt) NextRequest();
        }
    }

    /// <summary>The next scoring batch whose groups have all finished (cancelled requests left out), in request order; null while it waits.</summary>
    public List<(int Request, FinishedRollout[] Group)>? NextScoringBatch()
    {
        if (_nextBatch == _scoringBatches.Count) return null;
        var batch = _scoringBatches[_nextBatch].Where(r => !_requests[r].Cancellation.IsCancellationRequested).ToList();
        if (batch.Any(r => _done[r] is not { } group || group.Any(g => g == null))) return null;
        _nextBatch++;
        var groups = batch.Select(r => (r, _done[r]!.Select(g => g!).ToArray())).ToList();
        foreach (var r in _scoringBatches[_nextBatch - 1]) _done[r] = null;
        return groups;
    }

    private void NextRequest()
    {
        _done[_nextRequest] = null;
        _nextRequest++;
        _nextSample = 0;
    }
}
