using System.Text.Json;

namespace Rollout.Server.Protocol;

/// <summary>
/// A request that is answered with an error, in OpenAI's shape <c>{"error": {"message", "type", "param", "code"}}</c>.
/// Thrown wherever the problem is found; written by the one error handler (<see cref="RolloutServer"/>).
/// </summary>
internal sealed class ApiError(int status, string type, string code, string message, string? param = null) : Exception(message)
{
    public int Status { get; } = status;
    public string Type { get; } = type;
    public string Code { get; } = code;
    public string? Param { get; } = param;

    /// <summary>"<paramref name="param"/> <paramref name="problem"/>": a field with a value this server refuses.</summary>
    public static ApiError Invalid(string param, string problem) => new(400, "invalid_request_error", "invalid_value", $"{param} {problem}", param);

    public static ApiError Missing(string param) => new(400, "invalid_request_error", "missing_field", $"{param} is required", param);

    /// <summary>A field of an OpenAI feature this server does not have (tools, response formats, …).</summary>
    public static ApiError NotSupported(string param) => new(400, "invalid_request_error", "not_supported", $"{param} is not supported by this server", param);

    public static ApiError BadJson(string detail) => new(400, "invalid_request_error", "invalid_json", $"the request body is not valid JSON: {detail}");

    public static ApiError ModelNotFound(string model, string served) =>
        new(404, "invalid_request_error", "model_not_found", $"the model '{model}' does not exist; this server serves '{served}'", "model");

    public static ApiError RouteNotFound(string method, string path) => new(404, "invalid_request_error", "not_found", $"no route {method} {path}");

    public static ApiError MethodNotAllowed(string method, string path) => new(405, "invalid_request_error", "method_not_allowed", $"{path} does not take {method}");

    public static ApiError QueueFull(int capacity) =>
        new(429, "rate_limit_error", "queue_full", $"the request queue is full ({capacity} waiting); retry later");

    public static ApiError ShuttingDown() => new(503, "server_error", "shutting_down", "the server is shutting down");

    public static ApiError Internal(string message) => new(500, "server_error", "internal_error", message);

    public void Write(Utf8JsonWriter json)
    {
        json.WriteStartObject();
        json.WriteStartObject("error");
        json.WriteString("message", Message);
        json.WriteString("type", Type);
        if (Param is { } param) json.WriteString("param", param);
        else json.WriteNull("param");
        json.WriteString("code", Code);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    public byte[] ToJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, ResponseWriter.Options)) Write(json);
        return buffer.ToArray();
    }
}
