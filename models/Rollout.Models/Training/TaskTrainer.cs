using System.Diagnostics;
using System.Text.Json;
using Rollout.Engine;
using Rollout.Engine.Output;
using Rollout.Engine.Tokenization;
using Rollout.Models.ModelFolder;
using Rollout.Models.Onnx;
using Rollout.Models.Tasks;
using Rollout.Models.Tasks.Arith;
using Rollout.Models.Tasks.Evaluation;
using Rollout.Models.Tokenizer;

using Rollout.Models.Training.Decoder;

using Rollout.Models.Training.Optimization;

namespace Rollout.Models.Training;

/// <summary>
/// Supervised fine-tuning of a fresh small decoder on a task's reference solutions, end to end: trains
/// a tokenizer, generates and tokenizes the data, trains, writes a complete model folder (config.json,
/// tokenizer, onnx/model.onnx) plus train_log.jsonl, test.jsonl (held-out prompts), eval.json and the
/// evaluation's completions (eval_greedy.jsonl, eval_temperature_1.jsonl).
/// </summary>
public static class TaskTrainer
{
    public static TrainingResult Train(TaskTrainingOptions options)
    {
        if (options.Steps < 1 || options.BatchSize < 1) throw new InputException("train: steps and batch size must be at least 1");
        var log = options.Log ?? (_ => { });
        var examples = SftData(options.Task, options.Seed, options.Steps * options.BatchSize, options.RedundantShare, options.Style);
        OutputFolder.CreateEmpty(options.OutputDir);

        var tokenizerFiles = TokenizerFilesWriter.WriteTrained(options.OutputDir, options.VocabSize);
        var tokenizer = TextTokenizer.Load(options.OutputDir);
        int eos = tokenizerFiles.EndOfTextId;
        var config = TrainerModelSizes.Config(options.ModelSize, options.Architecture, options.VocabSize, eos, options.MaxPositions);
        var parameters = DecoderParameters<float>.Initialize(config, options.Seed);
        log($"model {options.ModelSize}: {parameters.Count:N0} parameters, {config.Layers} layers, hidden {config.Hidden}, vocab {config.VocabSize}");

        var sequences = new TrainingSequence[examples.Count];
        Parallel.For(0, examples.Count, i => sequences[i] = Tokenize(tokenizer, examples[i], eos, config.MaxPositions));
        log($"{sequences.Length:N0} SFT sequences, mean {sequences.Average(s => s.Tokens.Length):F1} tokens");

        var heldOut = HeldOut(options.Task, options.Seed, options.EvalProblems);
        PromptJsonlWriter.Write(Path.Combine(options.OutputDir, "test.jsonl"), heldOut);
        var evaluation = new HeldOutEvaluation(heldOut, tokenizer, eos, options.MaxNewTokens);
        // The periodic probe uses a slice of the held-out set: enough to see the trend, cheap enough to repeat.
        var probe = new HeldOutEvaluation(heldOut.Take(ProbeProblems).ToList(), tokenizer, eos, options.MaxNewTokens);
        var entries = TrainLoop(parameters, sequences, options, log,
            () => heldOut.Count == 0 ? null : probe.Run(parameters, samplingSeed: null).Accuracy);
        var weights = parameters.ToWeights();
        ModelFolderWriter.Write(weights, options.OutputDir, new DecoderExportOptions(), eos, ModelFolderWriter.GenerationConfig(config, eos));
        WriteJsonLines(Path.Combine(options.OutputDir, "train_log.jsonl"), entries);

        EvaluationReport? greedy = null, sampled = null;
        if (heldOut.Count > 0)
        {
            greedy = evaluation.Run(parameters, samplingSeed: null, Path.Combine(options.OutputDir, "eval_greedy.jsonl"));
            sampled = evaluation.Run(parameters, samplingSeed: options.Seed, Path.Combine(options.OutputDir, "eval_temperature_1.jsonl"));
            File.WriteAllText(Path.Combine(options.OutputDir, "eval.json"),
                JsonSerializer.Serialize(new { greedy, temperature_1 = sampled }, new JsonSerializerOptions { WriteIndented = true }));
            log($"held-out greedy accuracy {greedy.Accuracy:P1}, temperature-1 accuracy {sampled.Accuracy:P1}, " +
                $"rollouts with a redundant episode {sampled.WithRedundantShare:P1}, tokens in redundant episodes {sampled.RedundantTokenShare:P1}");
        }
        return new TrainingResult(weights, parameters.Count, entries, greedy, sampled);
    }

    private const int ProbeProblems = 100;

    /// <param name="probe">Held-out greedy accuracy of the current weights (null when there is no held-out set), run every <see cref="TaskTrainingOptions.EvalEvery"/> steps.</param>
    private static List<TrainingLogEntry> TrainLoop(DecoderParameters<float> parameters, TrainingSequence[] sequences,
        TaskTrainingOptions options, Action<string> log, Func<double?> probe)
    {
        var model = new TrainableDecoder<float>(parameters);
        var optimizer = new AdamW<float>(parameters.All, weightDecay: options.WeightDecay);
        // Short runs warm up for a tenth of their steps at most.
        var schedule = new LearningRateSchedule(options.LearningRate, Math.Min(options.WarmupSteps, options.Steps / 10 + 1), options.Steps);
        var entries = new List<TrainingLogEntry>();
        var clock = Stopwatch.StartNew();
        double lossSum = 0;
        long tokens = 0;
        int since = 0;
        for (int step = 0; step < options.Steps; step++)
        {
            // Every example is seen once: the generator supplies fresh problems for every step.
            var batch = new TokenBatch(new ArraySegment<TrainingSequence>(sequences, step * options.BatchSize, options.BatchSize));
            parameters.ZeroGradients();
            var pass = model.Forward(batch);
            model.Backward(pass);
            double norm = GradientClipping.ClipGlobalNorm(parameters.All, options.ClipNorm);
            double lr = schedule.At(step);
            optimizer.Step(lr);
            lossSum += pass.Loss;
            tokens += batch.Rows;
            since++;
            if ((step + 1) % options.LogEvery == 0 || step + 1 == options.Steps)
            {
                double seconds = clock.Elapsed.TotalSeconds;
                bool probeNow = options.EvalEvery > 0 && (step + 1) % options.EvalEvery == 0;
                // The probe's own time is kept out of the training clock so steps/s stays comparable.
                clock.Stop();
                double? accuracy = probeNow ? probe() : null;
                clock.Start();
                var entry = new TrainingLogEntry(step + 1, lossSum / since, lr, norm, tokens, seconds, accuracy);
                entries.Add(entry);
                log($"step {entry.Step}/{options.Steps} loss {entry.Loss:F4} lr {lr:E2} grad-norm {norm:F3} " +
                    $"{entry.Tokens / entry.Seconds:F0} tok/s {entry.Step / entry.Seconds:F2} steps/s" +
                    (accuracy is double a ? $" held-out greedy accuracy {a:P1}" : ""));
                lossSum = 0;
                since = 0;
            }
        }
        return entries;
    }

    private static IReadOnlyList<SftExample> SftData(string task, int seed, int count, double redundantShare, SolutionStyle style) => task switch
    {
        "arith" => ArithSftData.Create(seed, count, redundantShare, style),
        _ => throw new InputException($"train: unknown task '{task}' (known: arith)"),
    };

    private static IReadOnlyList<TaskProblem> HeldOut(string task, int seed, int count) => task switch
    {
        // A seed of its own: the held-out side is disjoint from training by construction, not by seed.
        "arith" => new ArithGenerator(seed + 1_000_003).Generate(DataSplit.Test, count).Select(p => p.ToTaskProblem()).ToList(),
        _ => throw new InputException($"train: unknown task '{task}' (known: arith)"),
    };

    /// <summary>The prompt as the engine encodes raw prompt text, then the completion and the end-of-text token.</summary>
    private static TrainingSequence Tokenize(TextTokenizer tokenizer, SftExample example, int eos, int maxPositions)
    {
        var prompt = tokenizer.Encode(example.Problem.Prompt, addSpecialTokens: true);
        var completion = tokenizer.Encode(example.Completion, addSpecialTokens: false);
        int[] tokens = [.. prompt, .. completion, eos];
        if (tokens.Length > maxPositions)
            throw new InputException($"train: example '{example.Problem.Id}' has {tokens.Length} tokens, more than the model's {maxPositions} positions");
        return new TrainingSequence(tokens, prompt.Count);
    }

    private static void WriteJsonLines<TItem>(string path, IEnumerable<TItem> items) =>
        File.WriteAllLines(path, items.Select(i => JsonSerializer.Serialize(i)));
}
