using System.CommandLine;
using Microsoft.ML.OnnxRuntime;
using Rollout.Cli.Commands;
using Rollout.Engine;

namespace Rollout.Cli;

/// <summary>
/// The <c>rollout</c> command, and the one place that turns errors into exit codes: bad input →
/// one line and 2, a bug → one line and 1. Output goes to the writers given, so tests run it in-process.
/// </summary>
public static class Cli
{
    public static RootCommand Create() => new("Rollout: batched, KV-cached rollouts from Hugging Face-layout ONNX decoders, scored for L2T.")
    {
        GenerateCommand.Create(),
        TokenizeCommand.Create(),
        ModelCommand.Create(),
        DemoCommand.Create(),
        ScoreCommand.Create(),
        EvalCommand.Create(),
        TrainCommand.Create(),
    };

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        bool debug = Environment.GetEnvironmentVariable("ROLLOUT_DEBUG") == "1";
        // ONNX Runtime logs its own copy of errors that are reported here in one line; keep it for debugging only.
        if (!debug) OrtEnv.Instance().EnvLogLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL;
        var parse = Create().Parse(args);
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
            error.WriteLine($"rollout: {e.Message}");
            return 2;
        }
        catch (Exception e) when (!debug)
        {
            error.WriteLine($"rollout: internal error: {e.GetType().Name}: {e.Message} (set ROLLOUT_DEBUG=1 for the stack trace)");
            return 1;
        }
    }
}
