using System.Text.Json.Serialization;
using Parquet;
using Parquet.Serialization;
using Rollout.Engine.Generation;

namespace Rollout.Engine.Output;

/// <summary>
/// Writes rollouts as a Parquet table, one row per rollout (schema in the README: the JSONL fields as columns, lists
/// as list columns, episodes as a list of structs, the L2T columns null without scoring). Rows are buffered and
/// written as a row group every <c>rowsPerGroup</c> rollouts, so memory stays bounded however long the run. Each
/// row group is appended with the file's footer rewritten after it, so <c>FILE.partial</c> is a readable Parquet
/// file of the groups written so far; <see cref="Dispose"/> without commit writes the buffered rows too, so a run
/// that fails keeps every finished rollout there. Renamed to FILE on <see cref="Commit"/>.
/// </summary>
public sealed class RolloutParquetWriter : IRolloutWriter
{
    /// <summary>A few MB of buffered rows for rollouts of a few hundred tokens: small next to a model, large enough for columnar compression.</summary>
    public const int DefaultRowsPerGroup = 512;

    private readonly OutputFile _file;
    private readonly int _rowsPerGroup;
    private readonly string _settings;
    private readonly List<Row> _rows = [];
    private FileStream? _stream;
    private bool _committed;

    public int Count { get; private set; }
    public string? PartialPath => _file.PartialPath;

    /// <summary>Writes to <paramref name="file"/> (owned from here), a row group every <paramref name="rowsPerGroup"/> rollouts.</summary>
    public RolloutParquetWriter(OutputFile file, GenerationOptions settings, int rowsPerGroup = DefaultRowsPerGroup)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rowsPerGroup, 1);
        _file = file;
        _settings = SettingsJson.ToJson(settings);
        _rowsPerGroup = rowsPerGroup;
    }

    public void Write(RolloutResult rollout)
    {
        _rows.Add(Row.Of(rollout, _settings));
        Count++;
        if (_rows.Count == _rowsPerGroup) WriteGroup();
    }

    public void Commit()
    {
        // A run with no rollouts still gets a file with the schema.
        if (_rows.Count > 0 || _stream == null) WriteGroup();
        _file.Commit(_stream!);
        _stream = null;
        _committed = true;
    }

    public void Dispose()
    {
        try
        {
            if (!_committed && _rows.Count > 0) WriteGroup();
        }
        catch (Exception e) when (e is IOException or InputException)
        {
            // The run's own error is the one to report; the .partial file keeps the groups written before.
        }
        finally
        {
            _stream?.Dispose();
            _file.Dispose();
        }
    }

    private void WriteGroup()
    {
        bool append = _stream != null;
        _stream ??= _file.OpenPartial();
        // Append reads the footer back, writes the group after the last one and a new footer after it.
        ParquetSerializer.SerializeAsync(_rows, _stream, new ParquetOptions { Append = append }).GetAwaiter().GetResult();
        _stream.Flush();
        _rows.Clear();
    }

    /// <summary>One rollout as the table's row; property names are the column names.</summary>
    internal sealed class Row
    {
        [JsonPropertyName("prompt_id")] public string PromptId { get; set; } = "";
        [JsonPropertyName("sample")] public int Sample { get; set; }
        [JsonPropertyName("answer")] public string? Answer { get; set; }
        [JsonPropertyName("prompt_token_ids")] public int[] PromptTokenIds { get; set; } = [];
        [JsonPropertyName("token_ids")] public int[] TokenIds { get; set; } = [];
        [JsonPropertyName("text")] public string Text { get; set; } = "";
        [JsonPropertyName("finish_reason")] public string FinishReason { get; set; } = "";
        [JsonPropertyName("logprobs")] public float[] Logprobs { get; set; } = [];
        [JsonPropertyName("raw_logprobs")] public float[] RawLogprobs { get; set; } = [];
        [JsonPropertyName("entropies")] public float[] Entropies { get; set; } = [];
        [JsonPropertyName("episodes")] public List<Episode> Episodes { get; set; } = [];
        [JsonPropertyName("format_ok")] public bool FormatOk { get; set; }
        [JsonPropertyName("outcome_reward")] public double? OutcomeReward { get; set; }
        [JsonPropertyName("answer_probes")] public double[]? AnswerProbes { get; set; }
        [JsonPropertyName("token_rewards")] public float[]? TokenRewards { get; set; }
        [JsonPropertyName("advantages")] public float[]? Advantages { get; set; }
        [JsonPropertyName("advantages_clipped")] public int? AdvantagesClipped { get; set; }
        /// <summary>The JSONL's <c>settings</c> object as JSON text: one string column rather than a struct that grows with every setting.</summary>
        [JsonPropertyName("settings")] public string Settings { get; set; } = "";

        public static Row Of(RolloutResult r, string settings) => new()
        {
            PromptId = r.PromptId, Sample = r.Sample, Answer = r.Answer, Settings = settings, PromptTokenIds = r.PromptTokenIds, TokenIds = r.TokenIds, Text = r.Text,
            FinishReason = RolloutWriter.FinishReasonName(r.FinishReason), Logprobs = r.Logprobs, RawLogprobs = r.RawLogprobs, Entropies = r.Entropies,
            Episodes = r.Episodes.Select((e, k) => Episode.Of(e, r.Score?.Episodes[k])).ToList(),
            FormatOk = r.FormatOk, OutcomeReward = r.Score?.OutcomeReward, AnswerProbes = r.Score?.AnswerProbes,
            TokenRewards = r.Score?.TokenRewards, Advantages = r.Score?.Advantages, AdvantagesClipped = r.Score?.ClippedAdvantages,
        };
    }

    internal sealed class Episode
    {
        [JsonPropertyName("index")] public int Index { get; set; }
        [JsonPropertyName("start")] public int Start { get; set; }
        [JsonPropertyName("end")] public int End { get; set; }
        [JsonPropertyName("fit_gain")] public double? FitGain { get; set; }
        [JsonPropertyName("penalty")] public double? Penalty { get; set; }
        [JsonPropertyName("penalty_normalized")] public double? PenaltyNormalized { get; set; }
        [JsonPropertyName("process_reward")] public double? ProcessReward { get; set; }
        [JsonPropertyName("reward")] public double? Reward { get; set; }

        public static Episode Of(Episodes.EpisodeSpan span, L2T.EpisodeScore? score) => new()
        {
            Index = span.Index, Start = span.Start, End = span.End, FitGain = score?.FitGain, Penalty = score?.Penalty,
            PenaltyNormalized = score?.PenaltyNormalized, ProcessReward = score?.ProcessReward, Reward = score?.Reward,
        };
    }
}
