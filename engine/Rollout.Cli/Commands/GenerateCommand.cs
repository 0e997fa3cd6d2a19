using System.CommandLine;
using Rollout.Engine;
using Rollout.Engine.Episodes;
using Rollout.Engine.Generation;
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
        var output = new Option<string>("--out") { Description = "Output .jsonl, one rollout per line", Required = true };
        var options = new GenerationOptionSet();
        var command = new Command("generate", "Sample rollouts for every prompt") { model, prompts, output };
        options.AddTo(command);
        command.SetAction(parse =>
        {
            var generation = options.Read(parse);
            var device = options.Device(parse);
            using var engine = RolloutEngine.Open(parse.GetValue(model)!, device);
            var encoded = engine.Encode(PromptFile.Read(parse.GetValue(prompts)!));
            var summary = RunToFile(engine, encoded, generation, parse.GetValue(output)!, parse.InvocationConfiguration.Error);
            parse.InvocationConfiguration.Output.WriteLine(summary);
            return 0;
        });
        return command;
    }

    /// <summary>Generates into <paramref name="outPath"/> with progress on a terminal; returns the summary line.</summary>
    public static string RunToFile(RolloutEngine engine, IReadOnlyList<EncodedPrompt> prompts, GenerationOptions options, string outPath, TextWriter error)
    {
        using var writer = RolloutJsonlWriter.Create(outPath);
        using var progress = new ConsoleProgress(prompts.Count * options.SamplesPerPrompt, error);
        try
        {
            foreach (var rollout in engine.Generate(prompts, options, progress.Token))
            {
                writer.Write(rollout);
                progress.RolloutDone();
            }
        }
        catch (InputException e)
        {
            throw new InputException($"{e.Message}; the {writer.Count} rollouts finished before it are in {writer.PartialPath}");
        }
        writer.Commit();
        return progress.Summary(prompts.Count);
    }
}
