using System.Text;
using Microsoft.AspNetCore.Http;
using Rollout.Engine;
using Rollout.Models.ModelFolder;
using Rollout.Server.Batching;
using Rollout.Server.Endpoints;

namespace Rollout.Server.Tests.Endpoints;

/// <summary>The endpoint on its own, with a response body that fails as a reset connection does.</summary>
public sealed class CompletionEndpointTests : IDisposable
{
    private readonly RolloutEngine _engine = RolloutEngine.Open(DefaultModel.Path);

    public void Dispose() => _engine.Dispose();

    /// <summary>
    /// A write can fail before Kestrel flags the request aborted (it does so on the thread pool): the job must still be
    /// left, or the batcher decodes all of it for no one.
    /// </summary>
    [Fact]
    public async Task A_failed_write_abandons_the_running_job_even_before_the_request_is_flagged_aborted()
    {
        var queue = new JobQueue(1);
        var endpoint = new CompletionEndpoint(new ServedModel(_engine, 1), queue);
        var body = new BrokenConnection();
        var context = new DefaultHttpContext();
        context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(
            """{"model": "arith-qwen2", "prompt": "Compute 1 + 2.", "n": 4, "max_tokens": 8, "stream": true}"""));
        context.Response.Body = body;

        var handling = endpoint.Handle(context, Protocol.Endpoint.Completions);
        await body.FirstWrite.Task.WaitAsync(TestContext.Current.CancellationToken);
        // The batcher has the job, as it would by now, then the connection fails.
        var taken = queue.Take(maxRows: 1);
        Assert.NotNull(taken);
        var job = Assert.Single(taken);
        Assert.False(job.Abandoned);
        body.Reset.SetResult();
        await Assert.ThrowsAsync<IOException>(() => handling);

        Assert.False(context.RequestAborted.IsCancellationRequested);
        Assert.True(job.Abandoned);
    }

    /// <summary>The same, while the job still waits in the queue: it leaves the queue.</summary>
    [Fact]
    public async Task A_failed_write_takes_a_waiting_job_out_of_the_queue()
    {
        var queue = new JobQueue(1);
        var endpoint = new CompletionEndpoint(new ServedModel(_engine, 1), queue);
        var body = new BrokenConnection();
        body.Reset.SetResult();
        var context = new DefaultHttpContext();
        context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(
            """{"model": "arith-qwen2", "prompt": "Compute 1 + 2.", "max_tokens": 8, "stream": true}"""));
        context.Response.Body = body;

        await Assert.ThrowsAsync<IOException>(() => endpoint.Handle(context, Protocol.Endpoint.Completions));
        Assert.Equal(0, queue.Count);
    }

    /// <summary>A response body whose first write waits for <see cref="Reset"/>, then fails.</summary>
    private sealed class BrokenConnection : MemoryStream
    {
        public TaskCompletionSource FirstWrite { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Reset { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            FirstWrite.TrySetResult();
            await Reset.Task;
            throw new IOException("Connection reset by peer");
        }
    }
}
