using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Rollout.Engine.Generation;
using Rollout.Engine.Output;
using Rollout.Engine.Sampling;

namespace Rollout.Server.Protocol;

/// <summary>A choice's part of a response: all of it, or the part a stream chunk carries.</summary>
/// <param name="Tokens">The tokens whose log-probabilities go with it (empty when not asked for).</param>
/// <param name="Finished">The finished rollout, on a choice's last part: its finish reason, and its L2T scores when it has them.</param>
internal sealed record ChoicePart(int Index, string Text, IReadOnlyList<TokenLogprob> Tokens, RolloutResult? Finished);

/// <summary>A chosen token's log-probability, its offset in the completion's text, and its step's most likely tokens when asked for.</summary>
internal readonly record struct TokenLogprob(int TokenId, float Logprob, int Offset, TokenAlternative[]? Top);

/// <summary>
/// Writes one request's responses in OpenAI's shapes: a whole completion, or the chunks of a stream (chat:
/// <c>chat.completion</c> / <c>chat.completion.chunk</c> with <c>message</c> / <c>delta</c>; completions: <c>text_completion</c>
/// with <c>text</c>), with the <c>l2t</c> extension on a scored choice.
/// </summary>
/// <param name="logprobs">Whether the chosen tokens' log-probabilities were asked for.</param>
/// <param name="alternatives">Whether alternatives per token were asked for (completions' <c>logprobs</c> > 0; chat writes
/// <c>top_logprobs</c> always, <c>[]</c> without them).</param>
internal sealed class ResponseWriter(ServedModel model, Endpoint endpoint, bool logprobs, bool alternatives)
{
    public static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly string _id = (endpoint == Endpoint.Chat ? "chatcmpl-" : "cmpl-") + Guid.NewGuid().ToString("N");
    private readonly long _created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
    private bool Chat => endpoint == Endpoint.Chat;

    /// <summary>The whole response.</summary>
    public void Completion(Utf8JsonWriter json, IReadOnlyList<ChoicePart> choices, Usage usage) =>
        Envelope(json, chunk: false, choices, usage);

    /// <summary>A stream chunk with one choice's part; <paramref name="opening"/> is a chat choice's first chunk (it names the role).</summary>
    public void Chunk(Utf8JsonWriter json, ChoicePart part, bool opening = false) => Envelope(json, chunk: true, [part], null, opening);

    /// <summary>The stream's last chunk when the client asked for usage: no choices.</summary>
    public void UsageChunk(Utf8JsonWriter json, Usage usage) => Envelope(json, chunk: true, [], usage);

    private void Envelope(Utf8JsonWriter json, bool chunk, IReadOnlyList<ChoicePart> choices, Usage? usage, bool opening = false)
    {
        json.WriteStartObject();
        json.WriteString("id", _id);
        json.WriteString("object", Chat ? chunk ? "chat.completion.chunk" : "chat.completion" : "text_completion");
        json.WriteNumber("created", _created);
        json.WriteString("model", model.Id);
        json.WriteStartArray("choices");
        foreach (var choice in choices) Choice(json, choice, chunk, opening);
        json.WriteEndArray();
        if (usage is { } u)
        {
            json.WriteStartObject("usage");
            json.WriteNumber("prompt_tokens", u.PromptTokens);
            json.WriteNumber("completion_tokens", u.CompletionTokens);
            json.WriteNumber("total_tokens", u.PromptTokens + u.CompletionTokens);
            json.WriteEndObject();
        }
        json.WriteEndObject();
    }

    private void Choice(Utf8JsonWriter json, ChoicePart part, bool chunk, bool opening)
    {
        json.WriteStartObject();
        json.WriteNumber("index", part.Index);
        if (Chat)
        {
            json.WriteStartObject(chunk ? "delta" : "message");
            if (!chunk || opening) json.WriteString("role", "assistant");
            json.WriteString("content", part.Text);
            json.WriteEndObject();
        }
        else json.WriteString("text", part.Text);
        Logprobs(json, part);
        if (part.Finished is { } done) json.WriteString("finish_reason", FinishReason(done.FinishReason));
        else json.WriteNull("finish_reason");
        if (part.Finished is { Score: not null } scored)
        {
            json.WriteStartObject("l2t");
            RolloutJson.WriteEpisodes(json, scored);
            RolloutJson.WriteScore(json, scored);
            json.WriteEndObject();
        }
        json.WriteEndObject();
    }

    private void Logprobs(Utf8JsonWriter json, ChoicePart part)
    {
        if (!logprobs || part.Tokens.Count == 0)
        {
            json.WriteNull("logprobs");
            return;
        }
        var tokenizer = model.Engine.Model.Tokenizer;
        json.WriteStartObject("logprobs");
        if (Chat)
        {
            json.WriteStartArray("content");
            foreach (var t in part.Tokens)
            {
                json.WriteStartObject();
                ChatToken(json, tokenizer.Decode([t.TokenId]), t.Logprob);
                // top_logprobs alternatives, most likely first; [] when none were asked for.
                json.WriteStartArray("top_logprobs");
                foreach (var alternative in t.Top ?? [])
                {
                    json.WriteStartObject();
                    ChatToken(json, tokenizer.Decode([alternative.TokenId]), alternative.Logprob);
                    json.WriteEndObject();
                }
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        else
        {
            json.WriteStartArray("tokens");
            foreach (var t in part.Tokens) json.WriteStringValue(tokenizer.Decode([t.TokenId]));
            json.WriteEndArray();
            json.WriteStartArray("token_logprobs");
            foreach (var t in part.Tokens) json.WriteNumberValue(t.Logprob);
            json.WriteEndArray();
            if (!alternatives) json.WriteNull("top_logprobs");
            else
            {
                json.WriteStartArray("top_logprobs");
                foreach (var t in part.Tokens) CompletionAlternatives(json, t);
                json.WriteEndArray();
            }
            json.WriteStartArray("text_offset");
            foreach (var t in part.Tokens) json.WriteNumberValue(t.Offset);
            json.WriteEndArray();
        }
        json.WriteEndObject();
    }

    /// <summary>A chat token's <c>token</c>, <c>logprob</c> and <c>bytes</c> (its text's UTF-8 bytes).</summary>
    private static void ChatToken(Utf8JsonWriter json, string token, float logprob)
    {
        json.WriteString("token", token);
        json.WriteNumber("logprob", logprob);
        json.WriteStartArray("bytes");
        foreach (var b in Encoding.UTF8.GetBytes(token)) json.WriteNumberValue(b);
        json.WriteEndArray();
    }

    /// <summary>
    /// One token's entry of completions' <c>top_logprobs</c>: <c>{"text": logprob, …}</c>, the alternatives most likely first,
    /// and the chosen token when it is not among them (OpenAI: up to logprobs + 1 entries). Tokens that decode to the same
    /// text (byte pieces of one character) would repeat a key: the first, most likely, is kept.
    /// </summary>
    private void CompletionAlternatives(Utf8JsonWriter json, TokenLogprob token)
    {
        var tokenizer = model.Engine.Model.Tokenizer;
        var written = new HashSet<string>(StringComparer.Ordinal);
        json.WriteStartObject();
        foreach (var alternative in token.Top ?? [])
        {
            var text = tokenizer.Decode([alternative.TokenId]);
            if (written.Add(text)) json.WriteNumber(text, alternative.Logprob);
        }
        var chosen = tokenizer.Decode([token.TokenId]);
        if (!(token.Top ?? []).Any(a => a.TokenId == token.TokenId) && written.Add(chosen)) json.WriteNumber(chosen, token.Logprob);
        json.WriteEndObject();
    }

    /// <summary>The engine's reasons in OpenAI's words (its SDK refuses any other): EOS and a stop are both "stop".</summary>
    public static string FinishReason(FinishReason reason) => reason switch
    {
        Engine.Generation.FinishReason.Eos or Engine.Generation.FinishReason.Stop => "stop",
        Engine.Generation.FinishReason.Length => "length",
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, null),
    };
}

/// <summary>Tokens a request used: its prompts (once each, whatever n) and every choice's completion tokens (an ending EOS included).</summary>
internal readonly record struct Usage(int PromptTokens, int CompletionTokens);
