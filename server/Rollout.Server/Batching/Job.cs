using System.Threading.Channels;
using Rollout.Engine.Generation;
using Rollout.Engine.Sampling;

namespace Rollout.Server.Batching;

/// <summary>What the batcher tells a job: a sampled token (<see cref="Result"/> null) or a finished rollout of one of its requests.</summary>
internal readonly record struct JobEvent(int Request, int Sample, int TokenId, float Logprob, TokenAlternative[]? TopLogprobs, RolloutResult? Result);

/// <summary>
/// One HTTP request in the server: its engine requests (one per prompt), and the events the batcher sends back while
/// they are decoded. The channel completes when every rollout is in, or with the error that ended the call.
/// </summary>
internal sealed class Job
{
    private readonly Channel<JobEvent> _events = Channel.CreateUnbounded<JobEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly CancellationTokenSource _engineCancel = new();
    private readonly bool _streamsTokens;
    private volatile bool _abandoned;

    /// <param name="streamsTokens">Whether the client wants tokens as they come (else only finished rollouts are sent).</param>
    public Job(IReadOnlyList<GenerationRequest> requests, bool streamsTokens)
    {
        Requests = requests.Select(r => r with { Cancellation = _engineCancel.Token }).ToList();
        _streamsTokens = streamsTokens;
        Rows = requests.Sum(r => r.Options.SamplesPerPrompt);
        var o = requests[0].Options;
        // What requests decoded in one call must share (see GenerationRequest): L2T, and with it the sampling and the budget.
        Key = o.L2T == null ? default : new CallKey(o.L2T, o.Sampling, o.MaxNewTokens);
    }

    public IReadOnlyList<GenerationRequest> Requests { get; }
    public int Rows { get; }
    public CallKey Key { get; }
    public ChannelReader<JobEvent> Events => _events.Reader;

    /// <summary>
    /// No one reads the job any more: its handler ended (any thread), done or because the client went away. Rows still
    /// running are dropped by the batcher at its next token (<see cref="DropIfAbandoned"/>); a finished job has none.
    /// </summary>
    public void Abandon() => _abandoned = true;

    public bool Abandoned => _abandoned;

    /// <summary>
    /// On the batcher's thread, inside the engine's token callback: cancels the engine requests of an abandoned job, so the
    /// engine drops their rows at its next step. Cancelling only here, on the thread that reads the results, means the
    /// requests cancelled when a result arrives are exactly those the engine left out (see <see cref="Batcher"/>).
    /// </summary>
    public bool DropIfAbandoned()
    {
        if (!_abandoned) return false;
        if (!_engineCancel.IsCancellationRequested) _engineCancel.Cancel();
        return true;
    }

    public bool Dropped => _engineCancel.IsCancellationRequested;

    public void Token(int request, SampledToken token)
    {
        if (_streamsTokens) _events.Writer.TryWrite(new JobEvent(request, token.Sample, token.TokenId, token.Logprob, token.TopLogprobs, null));
    }

    public void Result(int request, RolloutResult result) => _events.Writer.TryWrite(new JobEvent(request, result.Sample, 0, 0, null, result));

    public void Complete(Exception? error = null) => _events.Writer.TryComplete(error);
}

/// <summary>The settings a call's requests must share beyond the batch size (the same for every request of a server).</summary>
internal readonly record struct CallKey(L2TGeneration? L2T, Rollout.Engine.Sampling.SamplingParams? Sampling, int MaxNewTokens);
