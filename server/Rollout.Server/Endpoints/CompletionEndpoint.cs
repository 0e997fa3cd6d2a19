using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Rollout.Engine.Generation;
using Rollout.Server.Batching;
using Rollout.Server.Protocol;
using Rollout.Server.Streaming;

namespace Rollout.Server.Endpoints;

/// <summary>
/// <c>POST /v1/chat/completions</c> and <c>POST /v1/completions</c>: the request is read and checked whole, queued as a
/// job, and answered from the job's events, all at once or as server-sent events (<c>data: {chunk}</c> … <c>data: [DONE]</c>).
/// A client that goes away abandons its job: out of the queue, or its rows dropped at the batcher's next step.
/// </summary>
internal sealed class CompletionEndpoint(ServedModel model, JobQueue queue)
{
    public async Task Handle(HttpContext context, Protocol.Endpoint endpoint)
    {
        var cancel = context.RequestAborted;
        var body = await JsonFields.ReadAsync(context.Request.Body, cancel);
        var request = CompletionRequest.Read(body, endpoint, model);
        var job = new Job(request.Requests, request.Stream);
        queue.Enqueue(job);
        try
        {
            var writer = new ResponseWriter(model, endpoint, request.Logprobs, request.Options.TopLogprobs > 0);
            if (request.Stream) await Stream(context, request, job, writer);
            else await Respond(context, request, job, writer);
        }
        finally
        {
            // However the handler ends, no one reads the job any more. Every wait above ends when the client goes away,
            // and a write to a reset connection can fail before Kestrel flags the request aborted (on the thread pool),
            // so leaving here, not in a callback on RequestAborted, is what covers both.
            job.Abandon();
            queue.Remove(job);
        }
    }

    private async Task Respond(HttpContext context, CompletionRequest request, Job job, ResponseWriter writer)
    {
        int n = request.Options.SamplesPerPrompt;
        var results = new RolloutResult[request.Requests.Count * n];
        await foreach (var e in job.Events.ReadAllAsync(context.RequestAborted)) results[e.Request * n + e.Sample] = e.Result!;
        var choices = results.Select((r, i) => new ChoicePart(i, r.Text, Tokens(request, r), r)).ToList();
        context.Response.ContentType = "application/json";
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, ResponseWriter.Options)) writer.Completion(json, choices, Usage(request, results));
        await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted);
    }

    /// <summary>The chosen tokens' log-probabilities when asked for, with each token's offset in the text and its alternatives.</summary>
    private IReadOnlyList<TokenLogprob> Tokens(CompletionRequest request, RolloutResult r)
    {
        if (!request.Logprobs) return [];
        var starts = model.Engine.Model.Tokenizer.DecodeWithOffsets(r.TokenIds).TokenStarts;
        return r.TokenIds.Select((id, t) => new TokenLogprob(id, r.Logprobs[t], starts[t], r.TopLogprobs?[t])).ToList();
    }

    private static Usage Usage(CompletionRequest request, IEnumerable<RolloutResult> results) =>
        new(request.Requests.Sum(r => r.Prompt.TokenIds.Length), results.Sum(r => r.TokenIds.Length));

    private async Task Stream(HttpContext context, CompletionRequest request, Job job, ResponseWriter writer)
    {
        var cancel = context.RequestAborted;
        int n = request.Options.SamplesPerPrompt;
        var tokenizer = model.Engine.Model.Tokenizer;
        var texts = Enumerable.Range(0, request.Requests.Count * n)
            .Select(_ => new TextStream(tokenizer, model.Engine.Model.EosTokenIds, request.Options.IgnoreEos, request.Options.StopStrings)).ToArray();
        var finished = new List<RolloutResult>();

        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        var buffer = new ArrayBufferWriter<byte>();
        using var json = new Utf8JsonWriter(buffer, ResponseWriter.Options);
        void Event(Action<Utf8JsonWriter> write)
        {
            buffer.Write("data: "u8);
            json.Reset(buffer);
            write(json);
            json.Flush();
            buffer.Write("\n\n"u8);
        }
        async Task Send()
        {
            await context.Response.Body.WriteAsync(buffer.WrittenMemory, cancel);
            await context.Response.Body.FlushAsync(cancel);
            buffer.ResetWrittenCount();
        }

        if (request.Endpoint == Protocol.Endpoint.Chat)
            for (int i = 0; i < texts.Length; i++) Event(j => writer.Chunk(j, new ChoicePart(i, "", [], null), opening: true));
        await Send();
        try
        {
            while (await job.Events.WaitToReadAsync(cancel))
            {
                // Everything that came since the last write goes out in one write.
                while (job.Events.TryRead(out var e))
                {
                    int index = e.Request * n + e.Sample;
                    if (e.Result is { } result)
                    {
                        finished.Add(result);
                        Event(j => writer.Chunk(j, new ChoicePart(index, texts[index].Finish(result.Text), [], result)));
                        continue;
                    }
                    var delta = texts[index].Add(e.TokenId);
                    if (delta.Length == 0 && !request.Logprobs) continue;
                    IReadOnlyList<TokenLogprob> tokens = request.Logprobs ? [new(e.TokenId, e.Logprob, texts[index].LastTokenOffset, e.TopLogprobs)] : [];
                    Event(j => writer.Chunk(j, new ChoicePart(index, delta, tokens, null)));
                }
                await Send();
            }
        }
        catch (ApiError e)
        {
            // The status line is gone; the error goes in the stream, as vLLM sends it.
            Event(e.Write);
        }
        if (request.IncludeUsage) Event(j => writer.UsageChunk(j, Usage(request, finished)));
        buffer.Write("data: [DONE]\n\n"u8);
        await Send();
    }
}
