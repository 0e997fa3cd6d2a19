using System.CommandLine;
using Rollout.Cluster.Client;
using Rollout.Engine;
using Rollout.Training;
using Rollout.Training.Runs;

namespace Rollout.Cli.Commands;

/// <summary><c>train</c>: the closed loop (sample → score → update → sample) on a task, into a run folder.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model folder to start from", Required = true };
        var task = new Option<string>("--task") { Description = "Task: arith", DefaultValueFactory = _ => "arith" };
        var output = new Option<string>("--out") { Description = "Run folder: metrics.jsonl, eval.jsonl, curves.png, policy/, checkpoint.bin", Required = true };
        var update = new Option<string>("--update") { Description = "core (the head core M from step features) | full (every weight)", DefaultValueFactory = _ => "core" };
        var iterations = new Option<int>("--iterations") { Description = "Iterations (one update each)", DefaultValueFactory = _ => 20 };
        var prompts = new Option<int>("--prompts") { Description = "Prompts per iteration", DefaultValueFactory = _ => 16 };
        var n = new Option<int>("--n") { Description = "Rollouts per prompt (the group)", DefaultValueFactory = _ => 8 };
        var temperature = new Option<double>("--temperature") { Description = "Sampling temperature", DefaultValueFactory = _ => 1.0 };
        var maxNewTokens = new Option<int>("--max-new-tokens") { Description = "Token budget per rollout", DefaultValueFactory = _ => 160 };
        var lr = new Option<double?>("--lr") { Description = $"AdamW learning rate (default {TrainingOptions.DefaultLearningRate(UpdateKind.Core)} for core, {TrainingOptions.DefaultLearningRate(UpdateKind.Full)} for full)" };
        var seed = new Option<int>("--seed") { Description = "Seed of the problems and the sampling", DefaultValueFactory = _ => 1 };
        var evalEvery = new Option<int>("--eval-every") { Description = "Held-out greedy evaluation every this many iterations (0: never)", DefaultValueFactory = _ => 5 };
        var evalProblems = new Option<int>("--eval-problems") { Description = "Held-out problems per evaluation", DefaultValueFactory = _ => 100 };
        var batchSize = new Option<int>("--batch-size") { Description = "Sequences decoded together", DefaultValueFactory = _ => 64 };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --out from its checkpoint" };
        var cluster = new Option<string?>("--cluster") { Description = "Sample each iteration on the workers of this cluster (dev, or the PostgreSQL connection string): M or the new weights go to them" };
        var l2t = new L2TOptionSet();
        var command = new Command("train", "Reinforcement fine-tuning: sample, score (L2T), update, repeat")
        {
            model, task, output, update, iterations, prompts, n, temperature, maxNewTokens, lr, seed, evalEvery, evalProblems, batchSize, resume, cluster,
        };
        l2t.AddTo(command, switchable: false);
        command.SetAction(parse =>
        {
            var settings = l2t.Read(parse)!;
            var options = new TrainingOptions
            {
                ModelDir = parse.GetValue(model)!, OutDir = parse.GetValue(output)!, Task = parse.GetValue(task)!,
                Advantage = settings.Options.Baseline,
                Update = parse.GetValue(update) switch
                {
                    "core" => UpdateKind.Core,
                    "full" => UpdateKind.Full,
                    var other => throw new InputException($"--update: '{other}' is not one of core, full"),
                },
                Iterations = parse.GetValue(iterations), Prompts = parse.GetValue(prompts), Samples = parse.GetValue(n),
                Temperature = parse.GetValue(temperature), MaxNewTokens = parse.GetValue(maxNewTokens), LearningRate = parse.GetValue(lr),
                Seed = parse.GetValue(seed), EvalEvery = parse.GetValue(evalEvery), EvalProblems = parse.GetValue(evalProblems),
                BatchSize = parse.GetValue(batchSize), Resume = parse.GetValue(resume), L2T = settings,
            };
            options.Validate();
            using var workers = parse.GetValue(cluster) is { } connection ? ClusterGenerator.Connect(connection, parse.InvocationConfiguration.Error.WriteLine) : null;
            using (var progress = new ConsoleProgress(options.Iterations, parse.InvocationConfiguration.Error, "iterations"))
                TrainingRun.Run(options, progress.Log, progress.Reached, progress.Token, workers);
            parse.InvocationConfiguration.Output.WriteLine($"run written to {options.OutDir}: {TrainingRun.MetricsFile}, {TrainingRun.EvalFile}, {TrainingRun.CurvesFile}, {TrainingRun.PolicyFolder}/");
            return 0;
        });
        return command;
    }
}
