using System.CommandLine;
using Microsoft.ML.OnnxRuntime;
using Rollout.Cli.Commands;
using Rollout.Engine;
using Rollout.Training;
using Rollout.Kernels;
using Rollout.Engine.Model;
using Rollout.Engine.Sampling;
using Rollout.Engine.Generation;
using Rollout.Server;

namespace Rollout.Cli;

/// <summary>
/// The <c>rollout</c> command, and the one place that turns errors into exit codes: bad input →
/// one line and 2, a bug → one line and 1. Output goes to the writers given, so tests run it in-process.
/// </summary>
public static class Cli
{
    /// <param name="input">Standard input, for the verbs that read it (<c>decode</c>).</param>
    public static RootCommand Create(TextReader? input = null) => new("Rollout: batched, KV-cached rollouts from Hugging Face-layout ONNX decoders, scored for L2T.")
    {
        GenerateCommand.Create(),
        TokenizeCommand.Create(),
        DecodeCommand.Create(input ?? Console.In),
        ModelCommand.Create(),
        DemoCommand.Create(),
        ScoreCommand.Create(),
        EvalCommand.Create(),
        TrainCommand.Create(),
        ServeCommand.Create(),
        WorkerCommand.Create(),
    };

    /// <summary>The option that sets each library setting an <see cref="InputException"/> can name.</summary>
    private static readonly Dictionary<string, string> Flags = new()
    {
        [nameof(GenerationOptions.SamplesPerPrompt)] = "--n", [nameof(TrainingOptions.Samples)] = "--n",
        [nameof(GenerationOptions.MaxNewTokens)] = "--max-new-tokens", [nameof(GenerationOptions.BatchSize)] = "--batch-size",
        [nameof(GenerationOptions.StopStrings)] = "--stop", [nameof(GenerationOptions.Episodes)] = "--episodes",
        [nameof(SamplingParams.Temperature)] = "--temperature", [nameof(SamplingParams.TopK)] = "--top-k",
        [nameof(SamplingParams.TopP)] = "--top-p", [nameof(SamplingParams.MinP)] = "--min-p",
        [nameof(SamplingParams.RepetitionPenalty)] = "--repetition-penalty", [nameof(SamplingParams.PresencePenalty)] = "--presence-penalty",
        [nameof(SamplingParams.FrequencyPenalty)] = "--frequency-penalty", [nameof(GenerationOptions.MinNewTokens)] = "--min-new-tokens",
        [nameof(GenerationOptions.TopLogprobs)] = "--logprobs",
        [nameof(GenerationOptions.StopTokenIds)] = "--stop-token-id", ["Device"] = "--device", [RolloutEngine.Lanes] = "--lanes",
        [nameof(L2TOptions.Rank)] = "--rank", [nameof(L2TOptions.Alpha)] = "--alpha", [nameof(L2TOptions.Beta)] = "--beta",
        [nameof(L2TGeneration.AnswerCue)] = "--answer-cue",
        [nameof(TrainingOptions.Iterations)] = "--iterations", [nameof(TrainingOptions.Prompts)] = "--prompts",
        [nameof(TrainingOptions.EvalEvery)] = "--eval-every", [nameof(TrainingOptions.EvalProblems)] = "--eval-problems",
        [nameof(ServerOptions.MaxBatch)] = "--max-batch", [nameof(ServerOptions.MaxQueue)] = "--max-queue",
        [nameof(ServerOptions.Port)] = "--port", [nameof(ServerOptions.Host)] = "--host",
        [nameof(TrainingOptions.LearningRate)] = "--lr", [nameof(TrainingOptions.Task)] = "--task", [nameof(TrainingOptions.OutDir)] = "--out",
    };

    /// <summary>The message as the command line says it: a library setting it starts with becomes its option.</summary>
    private static string Message(InputException e) =>
        e.Setting is { } setting && Flags.TryGetValue(setting, out var flag) && e.Message.StartsWith(setting, StringComparison.Ordinal)
            ? flag + e.Message[setting.Length..]
            : e.Message;

    public static int Run(string[] args, TextWriter output, TextWriter error, TextReader? input = null)
    {
        bool debug = Environment.GetEnvironmentVariable("ROLLOUT_DEBUG") == "1";
        // ONNX Runtime logs its own copy of errors that are reported here in one line; keep it for debugging only.
        if (!debug) OrtEnv.Instance().EnvLogLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL;
        var parse = Create(input).Parse(args);
        if (parse.Errors.Count > 0)
        {
            error.WriteLine($"rollout: {parse.Errors[0].Message}");
            return 2;
        }
        try
        {
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false, Output = output, Error = error });
        }
        catch (InputException e)
        {
            error.WriteLine($"rollout: {Message(e)}");
            return 2;
        }
        catch (Exception e) when (!debug)
        {
            error.WriteLine($"rollout: internal error: {e.GetType().Name}: {e.Message} (set ROLLOUT_DEBUG=1 for the stack trace)");
            return 1;
        }
    }
}
