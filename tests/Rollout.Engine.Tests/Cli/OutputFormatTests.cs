using System.Text.Json;
using Parquet.Serialization;
using Rollout.Engine.Output;
using Rollout.Engine.Tests.Support;
using Rollout.Tests;
using static Rollout.Tests.CliRun;

namespace Rollout.Engine.Tests.Cli;

/// <summary>
/// <c>--out -</c> (JSON lines on standard output, the summary on standard error) and <c>--out FILE.parquet</c> (one row per
/// rollout) hold what the JSONL file of the same seeded run holds; the Parquet file is read back by an independent reader.
/// </summary>
[Collection(EngineModelsCollection.Name)]
public sealed class OutputFormatTests(EngineModels models) : IDisposable
{
    private readonly string _dir = RepoPaths.NewTempDir("output-format");
    private string? _prompts;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Prompts => _prompts ??= PromptFile(_dir, """{"id":"a","prompt":"Compute 1 + 2.","answer":"3"}""", """{"id":"b","prompt":"hi","answer":"7"}""");

    private string[] Generate(string outPath, params string[] extra) =>
        ["generate", "--model", models.Dir("llama"), "--prompts", Prompts, "--out", outPath, "--n", "3", "--max-new-tokens", "6", "--temperature", "0.9", "--seed", "5", .. extra];

    // The policy generate sampled from (the same temperature), and the answers from the prompts.
    private string[] Score(string rollouts, string outPath) =>
        ["score", "--model", models.Dir("llama"), "--rollouts", rollouts, "--prompts", Prompts, "--out", outPath, "--rank", "4", "--answer-cue", "\n#### ", "--temperature", "0.9"];

    private static async Task<IList<RolloutParquetWriter.Row>> ParquetNet(string path) =>
        (await ParquetSerializer.DeserializeAsync<RolloutParquetWriter.Row>(path, cancellationToken: TestContext.Current.CancellationToken)).Data;

    private string JsonlOf(params string[] extra)
    {
        var path = Path.Combine(_dir, $"reference-{Guid.NewGuid():N}.jsonl");
        var (code, _, err) = Run(Generate(path, extra));
        Assert.True(code == 0, err);
        return path;
    }

    [Fact]
    public void Generate_and_score_to_standard_output_print_only_the_rollouts_there_and_the_summary_on_standard_error()
    {
        var reference = JsonlOf();
        var (code, stdout, err) = Run(Generate("-"));
        Assert.True(code == 0, err);
        Assert.Equal(File.ReadAllText(reference), stdout);
        Assert.Contains("prompts: 2, rollouts: 6, tokens: ", err);
        Assert.False(File.Exists("-") || File.Exists("-.partial") || File.Exists("-.lock"), "a file named '-' was written");

        var scored = Path.Combine(_dir, "scored.jsonl");
        (code, _, err) = Run(Score(reference, scored));
        Assert.True(code == 0, err);
        (code, stdout, err) = Run(Score(reference, "-"));
        Assert.True(code == 0, err);
        Assert.Equal(File.ReadAllText(scored), stdout);
        Assert.Contains("scored 6 completions of 2 prompts", err);
    }

    [Fact]
    public async Task Parquet_output_holds_the_jsonl_runs_rollouts_read_by_hyparquet_and_by_Parquet_Net()
    {
        string[] l2t = ["--l2t", "--rank", "4", "--answer-cue", "\n#### "];
        var reference = File.ReadAllLines(JsonlOf(l2t)).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var parquet = Path.Combine(_dir, "out.parquet");
        var (code, stdout, err) = Run(Generate(parquet, l2t));
        Assert.True(code == 0, err);
        Assert.Contains("prompts: 2, rollouts: 6, tokens: ", stdout);
        Assert.False(File.Exists(parquet + ".partial"));

        var rows = await ParquetNet(parquet);
        Assert.Equal(reference.Count, rows.Count);
        for (int i = 0; i < rows.Count; i++) SameRow.Assert(reference[i], JsonSerializer.SerializeToElement(rows[i]), $"Parquet.Net row {i}");

        if (Hyparquet.Missing() is { } why) Assert.Skip($"the independent reader cannot run: {why}");
        var (groups, read) = Hyparquet.Read(parquet);
        Assert.Equal(1, groups);
        Assert.Equal(reference.Count, read.Count);
        for (int i = 0; i < read.Count; i++) SameRow.Assert(reference[i], read[i], $"hyparquet row {i}");
    }

    [Fact]
    public async Task Score_writes_parquet_too_with_the_scored_jsonls_rows()
    {
        var rollouts = JsonlOf();
        var jsonl = Path.Combine(_dir, "scored.jsonl");
        var parquet = Path.Combine(_dir, "scored.parquet");
        var (code, _, err) = Run(Score(rollouts, jsonl));
        Assert.True(code == 0, err);
        (code, _, err) = Run(Score(rollouts, parquet));
        Assert.True(code == 0, err);

        var reference = File.ReadAllLines(jsonl).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var rows = await ParquetNet(parquet);
        Assert.Equal(reference.Count, rows.Count);
        for (int i = 0; i < rows.Count; i++) SameRow.Assert(reference[i], JsonSerializer.SerializeToElement(rows[i]), $"row {i}");
    }

    [Fact]
    public void Score_of_generated_rollouts_reproduces_what_generate_reported()
    {
        // Teacher forcing (score, one prompt's group at a time) against sampling (generate --l2t): two paths to the same numbers.
        string[] l2t = ["--l2t", "--rank", "4", "--answer-cue", "\n#### "];
        var generated = JsonlOf(l2t);
        var scored = Path.Combine(_dir, "scored.jsonl");
        var (code, _, err) = Run(Score(generated, scored));
        Assert.True(code == 0, err);
        foreach (var (g, s) in File.ReadAllLines(generated).Zip(File.ReadAllLines(scored)))
        {
            var (a, b) = (JsonDocument.Parse(g).RootElement, JsonDocument.Parse(s).RootElement);
            Assert.Equal(a.GetProperty("token_ids").ToString(), b.GetProperty("token_ids").ToString());
            foreach (var (field, tolerance) in new[] { ("logprobs", 1e-4), ("answer_probes", 1e-5), ("advantages", 1e-3), ("token_rewards", 1e-3) })
                Assert.Equal(Numbers(a, field), Numbers(b, field), (x, y) => Math.Abs(x - y) < tolerance);
        }
    }

    private static double[] Numbers(JsonElement line, string field) => line.GetProperty(field).EnumerateArray().Select(x => x.GetDouble()).ToArray();
}
