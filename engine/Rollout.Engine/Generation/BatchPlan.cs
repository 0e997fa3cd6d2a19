namespace Rollout.Engine.Generation;

/// <summary>Samples <c>[FirstSample, FirstSample + Count)</c> of one request, decoded in one batch from one prefill.</summary>
internal readonly record struct SampleChunk(int Request, int FirstSample, int Count)
{
    /// <summary>This chunk in pieces of at most <paramref name="most"/> samples, in sample order.</summary>
    public IEnumerable<SampleChunk> Split(int most)
    {
        for (int first = FirstSample; first < FirstSample + Count; first += most)
            yield return this with { FirstSample = first, Count = Math.Min(most, FirstSample + Count - first) };
    }
}

/// <summary>
/// Which samples are decoded together: requests in order, each request's samples in chunks of at most the batch size,
/// chunks packed into batches of at most that many rows. The plan depends on the requests' sample counts and the batch
/// size alone, so a resumed run decodes the same batches as an uninterrupted one (and gets the same floats), and a
/// group larger than a batch no longer makes one batch that large: memory stays bounded by the batch size.
/// </summary>
internal static class BatchPlan
{
    public static List<List<SampleChunk>> Pack(IReadOnlyList<int> samplesPerRequest, int batchSize)
    {
        var batches = new List<List<SampleChunk>>();
        var current = new List<SampleChunk>();
        int rows = 0;
        for (int r = 0; r < samplesPerRequest.Count; r++)
            for (int first = 0; first < samplesPerRequest[r]; first += batchSize)
            {
                int count = Math.Min(batchSize, samplesPerRequest[r] - first);
                if (rows + count > batchSize)
                {
                    batches.Add(current);
                    current = [];
                    rows = 0;
                }
                current.Add(new SampleChunk(r, first, count));
                rows += count;
            }
        if (current.Count > 0) batches.Add(current);
        return batches;
    }
}
