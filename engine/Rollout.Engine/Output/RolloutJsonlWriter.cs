using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Rollout.Engine.Generation;

namespace Rollout.Engine.Output;

/// <summary>
/// Writes rollouts as JSON lines (schema in the README), to a claimed <see cref="OutputFile"/> (<c>FILE.partial</c>,
/// renamed on <see cref="Commit"/>; opened with the first rollout, so a run that fails before it leaves no file) or
/// straight to a text stream (standard output: no partial file, no rename, no lock). Each line is serialized whole
/// before any of it is written, so a rollout that cannot be written leaves no cut line. Every line records the run's
/// settings (see <see cref="SettingsJson"/>).
/// </summary>
public sealed class RolloutJsonlWriter : IRolloutWriter
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly OutputFile? _file;
    private readonly TextWriter? _text;
    /// <summary>The run's <c>settings</c> object, serialized once: every line carries the same one.</summary>
    private readonly string _settings;
    private readonly ArrayBufferWriter<byte> _line = new();
    private readonly Utf8JsonWriter _json;
    private FileStream? _stream;

    public int Count { get; private set; }
    public string? PartialPath => _file?.PartialPath;

    private RolloutJsonlWriter(OutputFile? file, TextWriter? text, GenerationOptions settings)
    {
        _file = file;
        _text = text;
        _settings = SettingsJson.ToJson(settings);
        _json = new Utf8JsonWriter(_line, Options);
    }

    /// <summary>Writes to <paramref name="file"/> (its .partial file, renamed on commit); the writer owns it from here.</summary>
    public static RolloutJsonlWriter To(OutputFile file, GenerationOptions settings) => new(file, null, settings);

    /// <summary>Streams to <paramref name="text"/>, flushed after every line so a reader of a pipe sees each rollout when it is done.</summary>
    public static RolloutJsonlWriter To(TextWriter text, GenerationOptions settings) => new(null, text, settings);

    /// <summary>Claims <paramref name="path"/> (see <see cref="OutputFile.Claim"/>) and writes JSON lines to it.</summary>
    public static RolloutJsonlWriter Create(string path, GenerationOptions settings, params string[] inputs) => To(OutputFile.Claim(path, inputs), settings);

    public void Write(RolloutResult rollout)
    {
        _line.Clear();
        _json.Reset();
        Serialize(rollout);
        _json.Flush();
        _line.Write("\n"u8);
        if (_text != null)
        {
            _text.Write(Encoding.UTF8.GetString(_line.WrittenSpan));
            _text.Flush();
        }
        else
        {
            _stream ??= _file!.OpenPartial();
            _stream.Write(_line.WrittenSpan);
        }
        Count++;
    }

    /// <summary>
    /// Continues the <c>FILE.partial</c> of an interrupted run: its complete lines are kept (a line cut by a kill is
    /// dropped) and the next rollouts are appended after them. Returns the lines kept, for the caller to check.
    /// </summary>
    public IReadOnlyList<string> Resume()
    {
        if (_file == null) throw new InputException("--resume needs an output file, not standard output");
        _stream = _file.OpenPartialToResume();
        var bytes = new byte[_stream.Length];
        _stream.ReadExactly(bytes);
        int complete = Array.LastIndexOf(bytes, (byte)'\n') + 1;
        _stream.SetLength(complete);
        _stream.Seek(complete, SeekOrigin.Begin);
        var lines = Encoding.UTF8.GetString(bytes, 0, complete).Split('\n')[..^1];
        Count = lines.Length;
        return lines;
    }

    /// <summary>Puts every line written so far on disk, for a run that stops here and may be resumed.</summary>
    public void Flush()
    {
        _stream?.Flush(flushToDisk: true);
        _text?.Flush();
    }

    public void Commit()
    {
        if (_file != null) _file.Commit(_stream ?? _file.OpenPartial());
        _stream = null;
        _text?.Flush();
    }

    public void Dispose()
    {
        _stream?.Dispose();
        _file?.Dispose();
        _json.Dispose();
    }

    private void Serialize(RolloutResult r)
    {
        _json.WriteStartObject();
        _json.WriteString("prompt_id", r.PromptId);
        _json.WriteNumber("sample", r.Sample);
        if (r.Answer != null) _json.WriteString("answer", r.Answer);
        WriteArray("prompt_token_ids", r.PromptTokenIds);
        WriteArray("token_ids", r.TokenIds);
        _json.WriteString("text", r.Text);
        _json.WriteString("finish_reason", RolloutWriter.FinishReasonName(r.FinishReason));
        RolloutJson.WriteArray(_json, "logprobs", r.Logprobs);
        RolloutJson.WriteArray(_json, "raw_logprobs", r.RawLogprobs);
        RolloutJson.WriteArray(_json, "entropies", r.Entropies);
        if (r.TopLogprobs is { } top)
        {
            _json.WriteStartArray("top_logprobs");
            foreach (var alternatives in top)
            {
                _json.WriteStartArray();
                foreach (var a in alternatives)
                {
                    _json.WriteStartObject();
                    _json.WriteNumber("token_id", a.TokenId);
                    _json.WriteNumber("logprob", a.Logprob);
                    _json.WriteEndObject();
                }
                _json.WriteEndArray();
            }
            _json.WriteEndArray();
        }
        RolloutJson.WriteEpisodes(_json, r);
        _json.WriteBoolean("format_ok", r.FormatOk);
        _json.WritePropertyName("settings");
        _json.WriteRawValue(_settings, skipInputValidation: true);
        RolloutJson.WriteScore(_json, r);
        _json.WriteEndObject();
    }

    private void WriteArray(string name, int[] values)
    {
        _json.WriteStartArray(name);
        foreach (var v in values) _json.WriteNumberValue(v);
        _json.WriteEndArray();
    }

}
