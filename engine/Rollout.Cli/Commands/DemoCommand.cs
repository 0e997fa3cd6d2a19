using System.CommandLine;
using Rollout.Engine;
using Rollout.Engine.Generation;
using Rollout.Engine.Prompts;
using Rollout.Engine.Sampling;
using Rollout.Models.ModelFolder;

namespace Rollout.Cli.Commands;

/// <summary><c>demo</c>: the main job end to end on the embedded default model, with nothing to download.</summary>
internal static class DemoCommand
{
    private static readonly Prompt[] Prompts =
    [
        new("add", "Compute 12 + 7 - 5 + 30.", null, "44", null),
        new("chat", null, [new ChatMessage("user", "Think step by step: what is 9 + 4?")], "13", null),
        new("code", "def fibonacci(n):\n", null, null, null),
    ];

    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "Model folder (default: the embedded default model)" };
        var output = new Option<string>("--out") { Description = "Where to write the rollouts", DefaultValueFactory = _ => "demo-rollouts.jsonl" };
        var command = new Command("demo", "Sample a few rollouts from the embedded default model and show them") { model, output };
        command.SetAction(parse =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var dir = parse.GetValue(model) ?? DefaultModel.EnsureBuilt();
            stdout.WriteLine($"model: {dir}");
            using var engine = RolloutEngine.Open(dir);
            var options = new GenerationOptions
            {
                SamplesPerPrompt = 4,
                MaxNewTokens = 48,
                Sampling = new SamplingParams { Temperature = 1.0, TopP = 0.95 },
                Seed = 1,
            };
            var outPath = parse.GetValue(output)!;
            var summary = GenerateCommand.RunToFile(engine, engine.Encode(Prompts), options, outPath, parse.InvocationConfiguration.Error);
            foreach (var line in File.ReadLines(outPath).Take(6))
                stdout.WriteLine(Preview(System.Text.Json.JsonDocument.Parse(line).RootElement));
            stdout.WriteLine($"rollouts written to {outPath}");
            stdout.WriteLine(summary);
            return 0;
        });
        return command;
    }

    private static string Preview(System.Text.Json.JsonElement rollout)
    {
        var text = rollout.GetProperty("text").GetString()!.ReplaceLineEndings("⏎");
        if (text.Length > 70) text = text[..70] + "…";
        return $"{rollout.GetProperty("prompt_id").GetString(),-6} #{rollout.GetProperty("sample").GetInt32()} " +
               $"{rollout.GetProperty("finish_reason").GetString(),-6} {rollout.GetProperty("token_ids").GetArrayLength(),3} tokens  {text}";
    }
}
