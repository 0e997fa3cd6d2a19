using System.CommandLine;
using System.Text.Json;
using Rollout.Engine.Generation;
using Rollout.Engine.Output;
using Rollout.Engine.Prompts;
using Rollout.Engine.Sampling;
using Rollout.Models.ModelFolder;
using Rollout.Models.Tasks;
using Rollout.Models.Tasks.Arith;

namespace Rollout.Cli.Commands;

/// <summary>
/// <c>demo</c>: the main job end to end on the shipped default model: held-out arithmetic problems, a group
/// of samples each, scored for L2T (answer probes, episode rewards, advantages), written as JSONL and summarised.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "Model folder (default: the shipped arithmetic model)" };
        var output = new Option<string>("--out") { Description = "Where to write the rollouts", DefaultValueFactory = _ => "demo-rollouts.jsonl" };
        var command = new Command("demo", "Sample and score a few rollouts of the default model and show them") { model, output };
        command.SetAction(parse =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var dir = parse.GetValue(model) ?? DefaultModel.Path;
            var outPath = parse.GetValue(output)!;
            var options = new GenerationOptions
            {
                SamplesPerPrompt = 4,
                MaxNewTokens = 160,
                Sampling = new SamplingParams { Temperature = 1.0 },
                Seed = 1,
                L2T = new L2TGeneration(),
            };
            // The demo shows what it wrote, so it writes JSON lines whatever the name says; claimed before the model loads.
            using var writer = RolloutJsonlWriter.Create(outPath, options);
            stdout.WriteLine($"model: {dir}");
            using var engine = Rollout.Engine.RolloutEngine.Open(dir);
            // One held-out problem per chain length, so the demo shows easy and hard ones.
            var problems = Enumerable.Range(ArithGenerator.MinOperations, 4)
                .Select(ops => new ArithGenerator(seed: 2026).Generate(DataSplit.Test, 40).First(p => p.Difficulty == ops).ToTaskProblem());
            var prompts = engine.Encode(problems.Select(p => new Prompt(p.Id, p.Prompt, null, p.Answer, null)));
            var summary = GenerateCommand.RunToFile(engine, prompts, options, writer, parse.InvocationConfiguration.Error);
            stdout.WriteLine("prompt                 sample  r_out  J after each episode          text");
            foreach (var line in File.ReadLines(outPath))
                stdout.WriteLine(Preview(JsonDocument.Parse(line).RootElement));
            stdout.WriteLine($"rollouts, rewards and advantages written to {outPath}");
            stdout.WriteLine(summary);
            return 0;
        });
        return command;
    }

    private static string Preview(JsonElement rollout)
    {
        var text = rollout.GetProperty("text").GetString()!.ReplaceLineEndings("⏎");
        if (text.Length > 60) text = "…" + text[^59..];
        var probes = rollout.GetProperty("answer_probes").EnumerateArray().Select(j => j.GetDouble().ToString("0.00"));
        return $"{rollout.GetProperty("prompt_id").GetString(),-22} #{rollout.GetProperty("sample").GetInt32(),-5} " +
               $"{rollout.GetProperty("outcome_reward").GetDouble(),5:0.##}  {string.Join(" ", probes),-28}  {text}";
    }
}
