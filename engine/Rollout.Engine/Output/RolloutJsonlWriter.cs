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
    private readonly GenerationOptions _settings;
    private FileStream _stream = null!;
    private Utf8JsonWriter _json = null!;
    private bool _open;
    private bool _committed;

    public int Count { get; private set; }
    public string PartialPath => _path + ".partial";

    private readonly FileStream _lock;

    private RolloutJsonlWriter(string path, GenerationOptions settings, FileStream lockFile)
    {
        _path = path;
        _settings = settings;
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
    /// instead of mixing its lines into the first one's. Every line records <paramref name="settings"/> (see <see cref="SettingsJson"/>).
    /// </summary>
    public static RolloutJsonlWriter Create(string path, GenerationOptions settings, params string[] inputs)
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
        return new RolloutJsonlWriter(path, settings, lockFile);
    }

    public void Write(RolloutResult r)
    {
        Open();
        _json.Reset();
        _json.WriteStartObject();
        _json.WriteString("prompt_id", r.PromptId);
        _json.WriteNumber("sample", r.Sample);
        if (r.Answer != null) _json.WriteString("answer", r.Answer);
        WriteArray("prompt_token_ids", r.PromptTokenIds);
        WriteArray("token_ids", r.TokenIds);
        _json.WriteString("text", r.Text);
        _json.WriteString("finish_reason", r.FinishReason.ToString().ToLowerInvariant());
        WriteArray("logprobs", r.Logprobs);
        WriteArray("raw_logprobs", r.RawLogprobs);
        WriteArray("entropies", r.Entropies);
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
        _json.WriteStartArray("episodes");
        for (int k = 0; k < r.Episodes.Count; k++)
        {
            var e = r.Episodes[k];
            _json.WriteStartObject();
            _json.WriteNumber("index", e.Index);
            _json.WriteNumber("start", e.Start);
            _json.WriteNumber("end", e.End);
            if (r.Score?.Episodes[k] is { } score)
            {
                _json.WriteNumber("fit_gain", score.FitGain);
                _json.WriteNumber("penalty", score.Penalty);
                _json.WriteNumber("penalty_normalized", score.PenaltyNormalized);
                _json.WriteNumber("process_reward", score.ProcessReward);
                _json.WriteNumber("reward", score.Reward);
            }
            _json.WriteEndObject();
        }
        _json.WriteEndArray();
        _json.WriteBoolean("format_ok", r.FormatOk);
        SettingsJson.Write(_json, _settings);
        if (r.Score is { } l2t)
        {
            _json.WriteNumber("outcome_reward", l2t.OutcomeReward);
            if (l2t.AnswerProbes is { } probes)
            {
                _json.WriteStartArray("answer_probes");
                foreach (var j in probes) _json.WriteNumberValue(j);
                _json.WriteEndArray();
            }
            else _json.WriteNull("answer_probes");
            WriteArray("token_rewards", l2t.TokenRewards);
            WriteArray("advantages", l2t.Advantages);
            _json.WriteNumber("advantages_clipped", l2t.ClippedAdvantages);
        }
        _json.WriteEndObject();
        _json.Flush();
        _stream.WriteByte((byte)'\n');
        Count++;
    }

    /// <summary>
    /// Continues the <c>FILE.partial</c> of an interrupted run: its complete lines are kept (a line cut by a kill is
    /// dropped) and the next rollouts are appended after them. Returns the lines kept, for the caller to check.
    /// </summary>
    public IReadOnlyList<string> Resume()
    {
        if (!File.Exists(PartialPath)) throw new InputException($"{_path}: nothing to resume ({PartialPath} does not exist)");
        var bytes = File.ReadAllBytes(PartialPath);
        int complete = Array.LastIndexOf(bytes, (byte)'\n') + 1;
        _stream = new FileStream(PartialPath, FileMode.Open, FileAccess.Write, FileShare.Read);
        _stream.SetLength(complete);
        _stream.Seek(complete, SeekOrigin.Begin);
        _json = new Utf8JsonWriter(_stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        _open = true;
        var lines = System.Text.Encoding.UTF8.GetString(bytes, 0, complete).Split('\n')[..^1];
        Count = lines.Length;
        return lines;
    }

    /// <summary>Puts every line written so far on disk, for a run that stops here and may be resumed.</summary>
    public void Flush()
    {
        if (!_open) return;
        _json.Flush();
        _stream.Flush(flushToDisk: true);
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
