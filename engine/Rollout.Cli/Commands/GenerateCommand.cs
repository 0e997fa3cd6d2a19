using System.CommandLine;
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
        var options = new GenerationOptionSet();
        var l2t = new L2TOptionSet();
        var command = new Command("generate", "Sample rollouts for every prompt") { model, prompts, output, dumpFeatures };
        options.AddTo(command);
        l2t.AddTo(command);
        command.SetAction(parse =>
        {
            var generation = options.Read(parse) with { L2T = l2t.Read(parse) };
            var dumpDir = parse.GetValue(dumpFeatures);
            if (dumpDir != null && generation.L2T == null) throw new InputException("--dump-features needs --l2t");
            var device = options.Device(parse);
            string outPath = parse.GetValue(output)!, promptPath = parse.GetValue(prompts)!;
            // Options, output and input files are checked (and the output locked) before the model loads: a bad one costs nothing.
            using var writer = RolloutWriter.Open(outPath, parse.InvocationConfiguration.Output, promptPath);
            if (dumpDir != null) PrepareDump(dumpDir, outPath);
            var promptList = PromptFile.Read(promptPath);
            using var engine = RolloutEngine.Open(parse.GetValue(model)!, device);
            generation.ValidateFor(engine.Model);
            var encoded = engine.Encode(promptList);
            var summary = RunToFile(engine, encoded, generation, writer, parse.InvocationConfiguration.Error, dumpDir);
            SummaryWriter(parse, outPath).WriteLine(summary);
            return 0;
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

    /// <summary>Generates into <paramref name="writer"/> (committed at the end) with progress on a terminal; returns the summary line.</summary>
    public static string RunToFile(RolloutEngine engine, IReadOnlyList<EncodedPrompt> prompts, GenerationOptions options, IRolloutWriter writer,
        TextWriter error, string? dumpFeaturesDir = null)
    {
        using var dump = dumpFeaturesDir == null ? null : new FeatureDump(dumpFeaturesDir, options.L2T!.Options.Rank);
        using var progress = new ConsoleProgress(prompts.Count * options.SamplesPerPrompt, error);
        long scoredTokens = 0, clipped = 0;
        try
        {
            foreach (var rollout in engine.Generate(prompts, options, progress.Token))
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
