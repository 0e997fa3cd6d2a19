using System.Text.Encodings.Web;
using System.Text.Json;
using Rollout.Engine.Generation;

namespace Rollout.Engine.Output;

/// <summary>
/// Writes rollouts as JSON lines (schema in the README) to <c>FILE.partial</c> and renames it to
/// FILE on <see cref="Commit"/>. A run that fails keeps the rollouts it finished in the .partial
/// file, so no work is lost and no incomplete file passes for a complete one; one that fails before
/// its first rollout leaves no file. The .partial file is opened with the first rollout.
/// </summary>
public sealed class RolloutJsonlWriter : IDisposable
{
    private readonly string _path;
    private FileStream _stream = null!;
    private Utf8JsonWriter _json = null!;
    private bool _open;
    private bool _committed;

    public int Count { get; private set; }
    public string PartialPath => _path + ".partial";

    private readonly FileStream _lock;

    private RolloutJsonlWriter(string path, FileStream lockFile)
    {
        _path = path;
        _lock = lockFile;
    }

    private void Open()
    {
        if (_open) return;
        try { _stream = new FileStream(PartialPath, FileMode.Create, FileAccess.Write, FileShare.Read); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new InputException($"{_path}: cannot write {PartialPath} ({e.Message})"); }
        _json = new Utf8JsonWriter(_stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        _open = true;
    }

    /// <summary>
    /// Opens <paramref name="path"/> for writing, after checking it is a plain file path that none of
    /// <paramref name="inputs"/> is, and taking its lock (<c>FILE.lock</c>): a second writer of the same file is refused
    /// instead of mixing its lines into the first one's.
    /// </summary>
    public static RolloutJsonlWriter Create(string path, params string[] inputs)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new InputException($"{path}: a folder, not a file");
        if (new FileInfo(full).LinkTarget != null) throw new InputException($"{path}: a link; the output is written to a plain file, not through a link");
        if (full.StartsWith("/dev/", StringComparison.Ordinal) || full.StartsWith("/proc/", StringComparison.Ordinal))
            throw new InputException($"{path}: a device, not a file");
        if (inputs.FirstOrDefault(i => Path.GetFullPath(i) == full) is { } input)
            throw new InputException($"{path}: the output would overwrite the input {input}");
        var dir = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(dir)) throw new InputException($"{path}: the output folder does not exist");
        FileStream lockFile;
        try { lockFile = new FileStream(full + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose); }
        catch (IOException) { throw new InputException($"{path}: another run is writing it ({path}.lock is held)"); }
        catch (UnauthorizedAccessException) { throw new InputException($"{path}: the output folder is not writable"); }
        return new RolloutJsonlWriter(path, lockFile);
    }

    public void Write(RolloutResult r)
    {
        Open();
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
        RolloutJson.WriteEpisodes(_json, r);
        _json.WriteBoolean("format_ok", r.FormatOk);
        RolloutJson.WriteScore(_json, r);
        _json.WriteEndObject();
        _json.Flush();
        _stream.WriteByte((byte)'\n');
        Count++;
    }

    /// <summary>Flushes to disk and gives the file its final name.</summary>
    public void Commit()
    {
        Open();
        _json.Flush();
        _stream.Flush(flushToDisk: true);
        _stream.Dispose();
        File.Move(PartialPath, _path, overwrite: true);
        _committed = true;
        _lock.Dispose();
    }

    public void Dispose()
    {
        if (_committed) return;
        if (_open)
        {
            _json.Dispose();
            _stream.Dispose();
        }
        _lock.Dispose();
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
