using System.Text.Encodings.Web;
using System.Text.Json;
using Rollout.Engine.Generation;

namespace Rollout.Engine.Output;

/// <summary>
/// Writes rollouts as JSON lines (schema in the README) to <c>FILE.partial</c> and renames it to
/// FILE on <see cref="Commit"/>. A run that fails keeps the rollouts it finished in the .partial
/// file, so no work is lost and no incomplete file passes for a complete one.
/// </summary>
public sealed class RolloutJsonlWriter : IDisposable
{
    private readonly string _path;
    private readonly FileStream _stream;
    private readonly Utf8JsonWriter _json;
    private bool _committed;

    public int Count { get; private set; }
    public string PartialPath => _path + ".partial";

    private RolloutJsonlWriter(string path)
    {
        _path = path;
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(dir)) throw new InputException($"{path}: the output folder does not exist");
        _stream = new FileStream(PartialPath, FileMode.Create, FileAccess.Write, FileShare.Read);
        _json = new Utf8JsonWriter(_stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    public static RolloutJsonlWriter Create(string path) => new(path);

    public void Write(RolloutResult r)
    {
        _json.Reset();
        _json.WriteStartObject();
        _json.WriteString("prompt_id", r.PromptId);
        _json.WriteNumber("sample", r.Sample);
        WriteArray("prompt_token_ids", r.PromptTokenIds);
        WriteArray("token_ids", r.TokenIds);
        _json.WriteString("text", r.Text);
        _json.WriteString("finish_reason", r.FinishReason.ToString().ToLowerInvariant());
        WriteArray("logprobs", r.Logprobs);
        WriteArray("raw_logprobs", r.RawLogprobs);
        WriteArray("entropies", r.Entropies);
        _json.WriteStartArray("episodes");
        foreach (var e in r.Episodes)
        {
            _json.WriteStartObject();
            _json.WriteNumber("index", e.Index);
            _json.WriteNumber("start", e.Start);
            _json.WriteNumber("end", e.End);
            _json.WriteEndObject();
        }
        _json.WriteEndArray();
        _json.WriteBoolean("format_ok", r.FormatOk);
        _json.WriteEndObject();
        _json.Flush();
        _stream.WriteByte((byte)'\n');
        Count++;
    }

    /// <summary>Flushes to disk and gives the file its final name.</summary>
    public void Commit()
    {
        _json.Flush();
        _stream.Flush(flushToDisk: true);
        _stream.Dispose();
        File.Move(PartialPath, _path, overwrite: true);
        _committed = true;
    }

    public void Dispose()
    {
        if (_committed) return;
        _json.Dispose();
        _stream.Dispose();
    }

    private void WriteArray(string name, int[] values)
    {
        _json.WriteStartArray(name);
        foreach (var v in values) _json.WriteNumberValue(v);
        _json.WriteEndArray();
    }

    private void WriteArray(string name, float[] values)
    {
        _json.WriteStartArray(name);
        foreach (var v in values) _json.WriteNumberValue(v);
        _json.WriteEndArray();
    }
}
