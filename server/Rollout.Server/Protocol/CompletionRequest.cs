using System.Text.Json;
using Rollout.Engine.Generation;
using Rollout.Engine.Prompts;

namespace Rollout.Server.Protocol;

/// <summary>Which of OpenAI's two generation endpoints a request came to: they differ in prompts, logprobs and response shapes.</summary>
internal enum Endpoint { Chat, Completions }

/// <summary>
/// A generation request, read and checked whole before it is queued: its prompts encoded, one engine request per
/// prompt (every choice of a prompt is one of its samples), and how to answer.
/// </summary>
internal sealed record CompletionRequest(Endpoint Endpoint, IReadOnlyList<GenerationRequest> Requests, bool Stream, bool IncludeUsage, bool Logprobs)
{
    public GenerationOptions Options => Requests[0].Options;

    public static CompletionRequest Read(JsonFields body, Endpoint endpoint, ServedModel model)
    {
        var name = body.String("model") ?? throw ApiError.Missing("model");
        if (name != model.Id) throw ApiError.ModelNotFound(name, model.Id);

        bool chat = endpoint == Endpoint.Chat;
        bool logprobs;
        (int Count, string Field) topLogprobs;
        if (chat)
        {
            logprobs = body.Bool("logprobs") ?? false;
            topLogprobs = (body.Integer("top_logprobs") ?? 0, "top_logprobs");
            // As in OpenAI's API: alternatives come with the chosen tokens' log-probabilities, not instead of them.
            if (topLogprobs.Count > 0 && !logprobs) throw ApiError.Invalid("top_logprobs", "requires logprobs: true");
        }
        else
        {
            // Completions: logprobs = k returns the chosen tokens' log-probabilities and k alternatives per token.
            int? k = body.Integer("logprobs");
            if (k < 0) throw ApiError.Invalid("logprobs", $"must be ≥ 0 (got {k})");
            logprobs = k != null;
            topLogprobs = (k ?? 0, "logprobs");
        }

        var (l2t, answer) = ReadL2T(body.Object("l2t"));
        var options = GenerationFields.Read(body, model, l2t, topLogprobs);

        bool stream = body.Bool("stream") ?? false;
        var streamOptions = body.Object("stream_options");
        if (streamOptions != null && !stream) throw ApiError.Invalid("stream_options", "is only allowed with stream: true");
        bool includeUsage = streamOptions?.Bool("include_usage") ?? false;

        var prompts = chat
            ? [new Prompt(RolloutServer.SeedPromptId, null, Messages(body), answer, null)]
            : Texts(body).Select(text => new Prompt(RolloutServer.SeedPromptId, text, null, answer, null)).ToList();
        var requests = model.Engine.Encode(prompts).Select(p => new GenerationRequest(p, options)).ToList();
        return new CompletionRequest(endpoint, requests, stream, includeUsage, logprobs);
    }

    /// <summary>The <c>l2t</c> extension: <c>{"answer": "16", "answer_cue": "…"}</c>, both optional; L2T with default settings.</summary>
    private static (L2TGeneration?, string?) ReadL2T(JsonFields? l2t)
    {
        if (l2t == null) return (null, null);
        var settings = new L2TGeneration();
        if (l2t.String("answer_cue") is { } cue) settings = settings with { AnswerCue = cue };
        return (settings, l2t.String("answer"));
    }

    private static IReadOnlyList<string> Texts(JsonFields body)
    {
        var texts = body.Strings("prompt") ?? throw ApiError.Missing("prompt");
        if (texts.Count == 0) throw ApiError.Invalid("prompt", "must not be an empty list");
        return texts;
    }

    private static List<ChatMessage> Messages(JsonFields body)
    {
        if (body.Get("messages") is not { ValueKind: JsonValueKind.Array } array)
            throw body.Has("messages") ? ApiError.Invalid("messages", "must be a list of messages") : ApiError.Missing("messages");
        if (array.GetArrayLength() == 0) throw ApiError.Invalid("messages", "must not be empty");
        var messages = new List<ChatMessage>();
        foreach (var (element, i) in array.EnumerateArray().Select((e, i) => (e, i)))
        {
            if (element.ValueKind != JsonValueKind.Object) throw ApiError.Invalid($"messages[{i}]", "must be an object");
            var message = new JsonFields(element, $"messages[{i}].");
            var role = message.String("role") ?? throw ApiError.Missing(message.Name("role"));
            messages.Add(new ChatMessage(role, Content(message)));
        }
        return messages;
    }

    /// <summary>A message's text: a string, or a list of text parts (what the SDKs send for multi-part content).</summary>
    private static string Content(JsonFields message)
    {
        var content = message.Get("content") ?? throw ApiError.Missing(message.Name("content"));
        if (content.ValueKind == JsonValueKind.String) return content.GetString()!;
        if (content.ValueKind != JsonValueKind.Array) throw ApiError.Invalid(message.Name("content"), "must be a string or a list of text parts");
        return string.Concat(content.EnumerateArray().Select((part, j) =>
        {
            var fields = part.ValueKind == JsonValueKind.Object ? new JsonFields(part, message.Name($"content[{j}].")) : null;
            if (fields?.String("type") != "text") throw ApiError.Invalid(message.Name($"content[{j}]"), "must be a text part (this server reads text only)");
            return fields.String("text") ?? throw ApiError.Missing(fields.Name("text"));
        }));
    }
}
