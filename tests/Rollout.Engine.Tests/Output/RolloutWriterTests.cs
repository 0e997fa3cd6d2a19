using System.Text.Json;
using Parquet.Serialization;
using Rollout.Engine.Episodes;
using Rollout.Engine.Generation;
using Rollout.Engine.L2T;
using Rollout.Engine.Output;
using Rollout.Engine.Tests.Support;
using Rollout.Tests;

namespace Rollout.Engine.Tests.Output;

/// <summary>The writers' guarantees: no cut line, no incomplete file under the final name, bounded row groups, finished rollouts kept.</summary>
public sealed class RolloutWriterTests : IDisposable
{
    private readonly string _dir = RepoPaths.NewTempDir("writers");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A hand-made rollout: sample <paramref name="sample"/> of prompt p, three tokens in two episodes, scored.</summary>
    private static RolloutResult Rollout(int sample, float logprob = -0.5f) => new(
        "p", sample, [1, 2], [10 + sample, 11, 12], $"text {sample}", FinishReason.Length,
        [logprob, -1.25f, -2f], [-0.25f, -1f, -2.5f], [0.5f, 1.5f, 2.5f], [new EpisodeSpan(0, 0, 2), new EpisodeSpan(1, 2, 3)], true,
        Score: new RolloutScore(1, [0.1, 0.2 + sample, 0.9], [new EpisodeScore(0.1, 2, 1, 0.05, 0.54), new EpisodeScore(0.7, 0.5, 0.25, 0.6, 0.98)],
            [0.5f, 0.25f, -0.125f], [1f, 0.5f, -5f], 1));

    [Fact]
    public void A_rollout_that_cannot_be_written_leaves_the_lines_before_it_whole_and_no_cut_line()
    {
        var path = Path.Combine(_dir, "out.jsonl");
        using (var writer = RolloutJsonlWriter.Create(path, new GenerationOptions()))
        {
            writer.Write(Rollout(0));
            // JSON has no NaN: this rollout cannot be written, and the run fails with it.
            Assert.ThrowsAny<ArgumentException>(() => writer.Write(Rollout(1, float.NaN)));
        }
        Assert.False(File.Exists(path));
        var lines = File.ReadAllLines(path + ".partial");
        Assert.Single(lines);
        Assert.Equal(0, JsonDocument.Parse(lines[0]).RootElement.GetProperty("sample").GetInt32());
    }

    [Fact]
    public async Task Parquet_rows_go_out_a_row_group_at_a_time_and_a_failed_run_keeps_every_finished_one()
    {
        var path = Path.Combine(_dir, "out.parquet");
        var reference = Path.Combine(_dir, "reference.jsonl");
        using (var jsonl = RolloutJsonlWriter.Create(reference, new GenerationOptions()))
        {
            for (int i = 0; i < 5; i++) jsonl.Write(Rollout(i));
            jsonl.Commit();
        }
        using (var writer = new RolloutParquetWriter(OutputFile.Claim(path), new GenerationOptions(), rowsPerGroup: 2))
        {
            for (int i = 0; i < 5; i++) writer.Write(Rollout(i));
            // Two groups are on disk before the end, the fifth row waits in memory; the run then fails (no commit).
            Assert.True(new FileInfo(path + ".partial").Length > 0);
        }
        Assert.False(File.Exists(path));
        var partial = path + ".partial";
        var expected = File.ReadAllLines(reference).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var rows = (await ParquetSerializer.DeserializeAsync<RolloutParquetWriter.Row>(partial, cancellationToken: TestContext.Current.CancellationToken)).Data;
        Assert.Equal(5, rows.Count);
        for (int i = 0; i < 5; i++) SameRow.Assert(expected[i], JsonSerializer.SerializeToElement(rows[i]), $"Parquet.Net row {i}");

        if (Hyparquet.Missing() is { } why) Assert.Skip($"the independent reader cannot run: {why}");
        var (groups, read) = Hyparquet.Read(partial);
        Assert.Equal(3, groups);
        for (int i = 0; i < 5; i++) SameRow.Assert(expected[i], read[i], $"hyparquet row {i}");
    }

    [Fact]
    public void A_parquet_file_of_no_rollouts_still_has_the_schema()
    {
        var path = Path.Combine(_dir, "empty.parquet");
        using (var writer = RolloutWriter.Open(path, TextWriter.Null, new GenerationOptions())) writer.Commit();
        if (Hyparquet.Missing() is { } why) Assert.Skip($"the independent reader cannot run: {why}");
        var (_, rows) = Hyparquet.Read(path);
        Assert.Empty(rows);
    }
}
