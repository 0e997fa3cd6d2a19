using System.CommandLine;
using System.Text.Json;
using Rollout.Cluster.Client;
using Rollout.Engine;
using Rollout.Engine.Episodes;
using Rollout.Engine.Generation;
using Rollout.Engine.L2T;
using Rollout.Engine.Model;
using Rollout.Engine.Output;
using Rollout.Engine.Prompts;
using Rollout.Engine.Sampling;

namespace Rollout.Cli.Commands;

/// <summary><c>generate</c>: prompts file in, one JSON line per rollout out.</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model folder (HF/Optimum layout)", Required = true };
        var prompts = new Option<string>("--prompts") { Description = "Prompts: .jsonl ({id, prompt} or {id, messages}) or verl-style .parquet", Required = true };
        var output = new Option<string>("--out") { Description = "Output: FILE.jsonl (one rollout per line), FILE.parquet (one row per rollout), or - (JSON lines to standard output)", Required = true };
        var dumpFeatures = new Option<string?>("--dump-features") { Description = "With --l2t: write u_t, v_t of every token as .npy files into this folder" };
        var cluster = new Option<string?>("--cluster") { Description = "Generate on the workers of this cluster (dev, or the PostgreSQL connection string the workers use) instead of here" };
        var resume = new Option<bool>("--resume") { Description = "Continue the OUT.partial of an interrupted run (same command otherwise); the result equals an uninterrupted run's" };
        var options = new GenerationOptionSet();
        var l2t = new L2TOptionSet();
        var command = new Command("generate", "Sample rollouts for every prompt") { model, prompts, output, dumpFeatures, resume, cluster };
        options.AddTo(command);
        l2t.AddTo(command);
        command.SetAction(parse =>
        {
            var generation = options.Read(parse) with { L2T = l2t.Read(parse) };
            var dumpDir = parse.GetValue(dumpFeatures);
            if (dumpDir != null && generation.L2T == null) throw new InputException("--dump-features needs --l2t");
            var device = options.Device(parse);
            if (dumpDir != null && parse.GetValue(resume)) throw new InputException("--dump-features cannot be combined with --resume");
            string outPath = parse.GetValue(output)!, promptPath = parse.GetValue(prompts)!;
            // Options, output and input files are checked (and the output locked) before the model loads: a bad one costs nothing.
            using var writer = RolloutWriter.Open(outPath, parse.InvocationConfiguration.Output, generation, promptPath);
            if (dumpDir != null) PrepareDump(dumpDir, outPath);
            var promptList = PromptFile.Read(promptPath);
            var folder = ModelFolder.Open(parse.GetValue(model)!);
            generation.ValidateFor(folder);
            var encoded = folder.Encode(promptList);
            // The one place where the rollouts' source is chosen: this machine's engine, or a cluster's workers.
            using IRolloutGenerator generator = parse.GetValue(cluster) is { } connection
                ? ClusterGenerator.Connect(connection, Lines(parse.InvocationConfiguration.Error))
                : RolloutEngine.Open(folder, device, lanes: options.Lanes(parse));
            int done = parse.GetValue(resume) ? CheckResumable(writer, encoded, generation) : 0;
            using var interruption = new Interruption();
            try
            {
                var summary = RunToFile(generator, encoded, generation, writer, parse.InvocationConfiguration.Error, dumpDir, done, interruption.Token);
                SummaryWriter(parse, outPath).WriteLine(summary);
                return 0;
            }
            catch (OperationCanceledException) when (interruption.Signal is { } signal)
            {
                var kept = writer.PartialPath is { } partial ? $"are in {partial}; run the same command with --resume to finish it" : "were written";
                parse.InvocationConfiguration.Error.WriteLine(
                    $"rollout: interrupted ({signal}): {writer.Count} of {encoded.Count * generation.SamplesPerPrompt} rollouts {kept}");
                return interruption.ExitCode;
            }
        });
        return command;
    }

    /// <summary>Where a verb's summary line goes: standard output, unless the rollouts go there (then it holds only data).</summary>
    public static TextWriter SummaryWriter(ParseResult parse, string outPath) =>
        outPath == RolloutWriter.StandardOutput ? parse.InvocationConfiguration.Error : parse.InvocationConfiguration.Output;

    private static void PrepareDump(string dumpDir, string outPath)
    {
        if (Path.GetFullPath(dumpDir) == Path.GetFullPath(outPath)) throw new InputException($"--dump-features {dumpDir}: the --out file, not a folder of its own");
        try { OutputFolder.Create(dumpDir); }
        catch (InputException e) { throw new InputException($"--dump-features {e.Message}", e); }
    }

    /// <summary>The cluster client reports from its own threads.</summary>
    private static Action<string> Lines(TextWriter error) => line => { lock (error) error.WriteLine(line); };

    /// <summary>
    /// The lines an interrupted run left in the .partial file, checked to be this run's first rollouts (same prompts
    /// in the same order, same settings): what is left is generated after them.
    /// </summary>
    private static int CheckResumable(IRolloutWriter output, IReadOnlyList<EncodedPrompt> prompts, GenerationOptions options)
    {
        if (output is not RolloutJsonlWriter writer) throw new InputException("--resume continues a JSON lines file (.jsonl), not Parquet");
        var lines = writer.Resume();
        var settings = SettingsJson.ToJson(options);
        for (int i = 0; i < lines.Count; i++)
        {
            if (i >= prompts.Count * options.SamplesPerPrompt)
                throw new InputException($"{writer.PartialPath}: {lines.Count} lines, more than these prompts have rollouts; it was written by another run");
            var (prompt, sample) = (prompts[i / options.SamplesPerPrompt].Id, i % options.SamplesPerPrompt);
            string? id, recorded;
            int? index;
            try
            {
                var line = JsonDocument.Parse(lines[i]).RootElement;
                (id, index, recorded) = (line.GetProperty("prompt_id").GetString(), line.GetProperty("sample").GetInt32(), line.GetProperty("settings").GetRawText());
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            { throw new InputException($"{writer.PartialPath}:{i + 1}: not a rollout line of this version ({e.Message})"); }
            if (id != prompt || index != sample)
                throw new InputException($"{writer.PartialPath}:{i + 1}: not rollout {i} of these prompts (prompt '{prompt}' sample {sample}); it was written by another run");
            if (recorded != settings)
                throw new InputException($"{writer.PartialPath}:{i + 1}: written with other settings ({recorded}); resume with the settings of the interrupted run");
        }
        return lines.Count;
    }

    /// <summary>
    /// Generates into <paramref name="writer"/> (committed at the end) with progress on a terminal; returns the summary
    /// line. The first <paramref name="done"/> rollouts are already written (a resumed run).
    /// </summary>
    public static string RunToFile(IRolloutGenerator generator, IReadOnlyList<EncodedPrompt> prompts, GenerationOptions options, IRolloutWriter writer,
        TextWriter error, string? dumpFeaturesDir = null, int done = 0, CancellationToken cancel = default)
    {
        using var dump = dumpFeaturesDir == null ? null : new FeatureDump(dumpFeaturesDir, options.L2T!.Options.Rank);
        using var progress = new ConsoleProgress(prompts.Count * options.SamplesPerPrompt, error) { Detail = generator is ClusterGenerator cluster ? cluster.Describe : null };
        progress.Reached(done);
        long scoredTokens = 0, clipped = 0;
        try
        {
            foreach (var rollout in generator.Generate(RolloutEngine.Requests(prompts, options), _ => progress.Token(), done, cancel))
            {
                writer.Write(rollout);
                scoredTokens += rollout.Score?.Advantages.Length ?? 0;
                clipped += rollout.Score?.ClippedAdvantages ?? 0;
                dump?.Add(rollout.Features!);
                progress.RolloutDone();
            }
        }
        catch (InputException e) when (writer.Count > 0)
        {
            var kept = writer.PartialPath is { } partial ? $"are in {partial}" : "were written";
            throw new InputException($"{e.Message}; the {writer.Count} rollouts finished before it {kept}", e, e.Setting);
        }
        writer.Commit();
        dump?.Complete();
        var summary = progress.Summary(prompts.Count);
        return options.L2T == null ? summary : $"{summary}; {L2TOptionSet.ClipSummary(clipped, scoredTokens, options.L2T.Options.AdvantageClip)}";
    }
}
