using System.Diagnostics;
using Microsoft.ML.OnnxRuntimeGenAI;

namespace Rollout.Bench.Peer;

/// <summary>Times ONNX Runtime GenAI on the same folder (read through its genai_config.json).</summary>
public static class GenAiWorker
{
    public static Measurement Run(WorkerRequest request)
    {
        using var model = new Model(request.ModelDir);
        using var tokenizer = new Tokenizer(model);
        using var sequences = tokenizer.EncodeBatch(request.Prompts); // outside the clock, as the other engine's encoding
        Generate(model, sequences, request, newTokens: 2, onStep: null); // warm-up, as for the other engine

        long steps = 0;
        double ttftMs = 0;
        var clock = Stopwatch.StartNew();
        var first = Generate(model, sequences, request, request.NewTokens, () =>
        {
            if (steps++ == 0) ttftMs = clock.Elapsed.TotalMilliseconds;
        });
        double seconds = clock.Elapsed.TotalSeconds;
        return new Measurement("onnxruntime-genai", request.ModelName, request.Batch, request.NewTokens, steps * request.Batch,
            seconds, ttftMs, Measurement.PeakRssOfThisProcessMb(), first);
    }

    /// <summary>Greedy generation of exactly <paramref name="newTokens"/> per row (min_length = max_length); returns row 0's new tokens.</summary>
    private static int[] Generate(Model model, Sequences sequences, WorkerRequest request, int newTokens, Action? onStep)
    {
        int longest = Enumerable.Range(0, request.Batch).Max(i => sequences[(ulong)i].Length);
        using var options = new GeneratorParams(model);
        options.SetSearchOption("batch_size", request.Batch);
        options.SetSearchOption("do_sample", false);
        options.SetSearchOption("max_length", longest + newTokens);
        options.SetSearchOption("min_length", longest + newTokens);
        using var generator = new Generator(model, options);
        generator.AppendTokenSequences(sequences);
        while (!generator.IsDone())
        {
            generator.GenerateNextToken();
            onStep?.Invoke();
        }
        return generator.GetSequence(0)[^newTokens..].ToArray();
    }
}
