namespace Rollout.Engine.Generation;

/// <summary>
/// What produces rollouts: the local engine (<see cref="RolloutEngine"/>) or a cluster of workers behind one client, so
/// a trainer or a front end switches between them with one line. Either gives the same rollouts for the same requests.
/// </summary>
public interface IRolloutGenerator : IDisposable
{
    /// <summary>
    /// Rollouts of requests with their own settings: in request order, samples in order; lazily. <paramref name="onToken"/>
    /// is told of every sampled token (on the enumerating thread); the first <paramref name="skip"/> rollouts are left
    /// out and the rest are exactly those of a run without the skip; <paramref name="cancel"/> stops the run.
    /// </summary>
    IEnumerable<RolloutResult> Generate(IReadOnlyList<GenerationRequest> requests, Action<SampledToken>? onToken = null,
        int skip = 0, CancellationToken cancel = default);

    /// <summary>
    /// Samples from new weights from now on: <paramref name="tensors"/> replace the model's initializers of those names
    /// (float32, row-major). Not while a Generate enumeration is in progress. Returns how long it took here.
    /// </summary>
    TimeSpan UpdateWeights(IReadOnlyDictionary<string, float[]> tensors);
}
