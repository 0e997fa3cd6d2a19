using System.CommandLine;
using Rollout.Engine;
using Rollout.Engine.Model;
using Rollout.Models.Convert;
using Rollout.Models.ModelFolder;
using Rollout.Models.Onnx;
using Rollout.Models.Tasks;
using Rollout.Models.Training;

namespace Rollout.Cli.Commands;

/// <summary><c>model new</c> and <c>model convert</c>: write model folders in the HF/Optimum layout.</summary>
internal static class ModelCommand
{
    public static Command Create() => new("model", "Write model folders in the Hugging Face / Optimum layout") { New(), Convert(), TrainTask() };

    private static Command New()
    {
        var arch = new Option<string>("--arch") { Description = "gpt2 | llama | qwen2", Required = true };
        var layers = new Option<int>("--layers") { Description = "Decoder layers", DefaultValueFactory = _ => 2 };
        var hidden = new Option<int>("--hidden") { Description = "Hidden size", DefaultValueFactory = _ => 64 };
        var heads = new Option<int>("--heads") { Description = "Attention heads", DefaultValueFactory = _ => 4 };
        var kvHeads = new Option<int?>("--kv-heads") { Description = "Key/value heads (default: --heads)" };
        var intermediate = new Option<int?>("--intermediate") { Description = "MLP width (default: 4 × hidden for gpt2, else 3 × hidden)" };
        var vocab = new Option<int>("--vocab") { Description = "Vocabulary size, special tokens included", DefaultValueFactory = _ => 512 };
        var maxPositions = new Option<int>("--max-positions") { Description = "Context window", DefaultValueFactory = _ => 1024 };
        var seed = new Option<int>("--seed") { Description = "Weight seed", DefaultValueFactory = _ => 0 };
        var dtype = DtypeOption();
        var graph = GraphOption();
        var output = new Option<string>("--out") { Description = "Output folder (new or empty)", Required = true };
        var command = new Command("new", "A model with seeded random weights and a trained byte-level BPE tokenizer")
            { arch, layers, hidden, heads, kvHeads, intermediate, vocab, maxPositions, seed, dtype, graph, output };
        command.SetAction(parse =>
        {
            Architecture architecture;
            try { architecture = ModelConfig.ParseArchitecture(parse.GetValue(arch)!); }
            catch (FormatException e) { throw new InputException($"--arch: {e.Message}"); }
            int h = parse.GetValue(hidden);
            var layout = ParseGraph(parse.GetValue(graph)!);
            var config = NewModel.Write(architecture, parse.GetValue(layers), h, parse.GetValue(heads),
                parse.GetValue(kvHeads) ?? parse.GetValue(heads),
                parse.GetValue(intermediate) ?? (architecture == Architecture.Gpt2 ? 4 * h : 3 * h),
                parse.GetValue(vocab), parse.GetValue(seed), parse.GetValue(output)!, ParseDtype(parse.GetValue(dtype)!),
                parse.GetValue(maxPositions), layout);
            parse.InvocationConfiguration.Output.WriteLine($"wrote {config.ModelType} ({config.Layers} layers, hidden {config.Hidden}, vocab {config.VocabSize}) to {parse.GetValue(output)}");
            return 0;
        });
        return command;
    }

    private static Command Convert()
    {
        var from = new Option<string>("--from") { Description = "Hugging Face checkpoint folder (config.json, *.safetensors, tokenizer files), or a model folder this project wrote (to change its graph layout or dtype)", Required = true };
        var output = new Option<string>("--out") { Description = "Output folder (new or empty)", Required = true };
        var dtype = DtypeOption();
        var graph = GraphOption();
        var command = new Command("convert", "Convert a Hugging Face safetensors checkpoint to the ONNX layout") { from, output, dtype, graph };
        command.SetAction(parse =>
        {
            var layout = ParseGraph(parse.GetValue(graph)!);
            var config = ModelConverter.Convert(parse.GetValue(from)!, parse.GetValue(output)!, ParseDtype(parse.GetValue(dtype)!), graph: layout);
            parse.InvocationConfiguration.Output.WriteLine($"converted {config.ModelType} ({config.Layers} layers, hidden {config.Hidden}, vocab {config.VocabSize}) to {parse.GetValue(output)}");
            return 0;
        });
        return command;
    }

    private static Command TrainTask()
    {
        var task = new Option<string>("--task") { Description = "Task: arith", DefaultValueFactory = _ => "arith" };
        var output = new Option<string>("--out") { Description = "Output folder (new or empty)", Required = true };
        var seed = new Option<int>("--seed") { Description = "Seed of data, initialisation and order", DefaultValueFactory = _ => 1 };
        var steps = new Option<int>("--steps") { Description = "Optimizer steps", DefaultValueFactory = _ => new TaskTrainingOptions { OutputDir = "" }.Steps };
        var size = new Option<string>("--size") { Description = "tiny | small | medium", DefaultValueFactory = _ => "small" };
        var style = new Option<string>("--style") { Description = "plain | verbose: one re-check episode, or 1-3 varied restatements, in the solutions that carry any", DefaultValueFactory = _ => "plain" };
        var redundantShare = new Option<double>("--redundant-share")
            { Description = "Share of solutions with redundant episodes", DefaultValueFactory = _ => new TaskTrainingOptions { OutputDir = "" }.RedundantShare };
        var command = new Command("train-task", "Train a small model from scratch on a synthetic task (SFT) and write its folder") { task, output, seed, steps, size, style, redundantShare };
        command.SetAction(parse =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            if (parse.GetValue(steps) < 1) throw new InputException($"--steps must be at least 1 (got {parse.GetValue(steps)})");
            var result = TaskTrainer.Train(new TaskTrainingOptions
            {
                Task = parse.GetValue(task)!,
                OutputDir = parse.GetValue(output)!,
                Seed = parse.GetValue(seed),
                Steps = parse.GetValue(steps),
                ModelSize = Enum.TryParse<TrainerModelSize>(parse.GetValue(size), ignoreCase: true, out var s) && Enum.IsDefined(s)
                    ? s : throw new InputException($"--size: '{parse.GetValue(size)}' is not a size (tiny, small, medium)"),
                Style = Enum.TryParse<SolutionStyle>(parse.GetValue(style), ignoreCase: true, out var st) && Enum.IsDefined(st)
                    ? st : throw new InputException($"--style: '{parse.GetValue(style)}' is not a style (plain, verbose)"),
                RedundantShare = parse.GetValue(redundantShare) is var r and >= 0 and <= 1
                    ? r : throw new InputException($"--redundant-share: {parse.GetValue(redundantShare)} is not in 0..1"),
                Log = line => { stdout.WriteLine(line); stdout.Flush(); },
            });
            stdout.WriteLine($"wrote {parse.GetValue(output)} ({result.ParameterCount:N0} parameters)");
            return 0;
        });
        return command;
    }

    private static Option<string> DtypeOption() => new("--dtype") { Description = "fp32 | fp16 (weights on disk)", DefaultValueFactory = _ => "fp32" };

    private static Option<string> GraphOption() => new("--graph")
    {
        Description = "fused | optimum: ONNX Runtime GenAI's layout (GroupQueryAttention over one KV buffer written in place: continuous batching, no per-step copy of the cache), or Optimum's merged decoder in standard operators (any head size)",
        DefaultValueFactory = _ => "fused",
    };

    private static DecoderGraphLayout ParseGraph(string text) => text switch
    {
        "optimum" => DecoderGraphLayout.Optimum,
        "fused" => DecoderGraphLayout.Fused,
        _ => throw new InputException($"--graph: '{text}' is not a graph layout (optimum, fused)"),
    };

    private static WeightDtype ParseDtype(string text) => text switch
    {
        "fp32" => WeightDtype.Float32,
        "fp16" => WeightDtype.Float16,
        _ => throw new InputException($"--dtype: '{text}' is not a dtype (fp32, fp16)"),
    };
}
