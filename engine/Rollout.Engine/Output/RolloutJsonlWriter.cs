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
