using System.Diagnostics;
using Microsoft.ML.OnnxRuntimeGenAI;

namespace Rollout.Bench.Peer;

/// <summary>
/// Times ONNX Runtime GenAI on the same folder (read through its genai_config.json). Greedy workloads ignore EOS through
/// min_length = max_length. A sampled one repeats each prompt for its samples (GenAI 0.18 allows num_return_sequences only up
/// to num_beams), as many prompts at a time as fill the batch, drawing from the whole distribution (top_k 0, top_p 1), rows
/// ending at EOS.
/// </summary>
public static class GenAiWorker
{
    public static Measurement Run(WorkerRequest request)
    {
        var workload = request.Workload;
        using var model = new Model(request.ModelDir);
        using var tokenizer = new Tokenizer(model);
        int eos = EosTokenId(request.ModelDir);
        var chunks = workload.PromptSet().SelectMany(p => Enumerable.Repeat(p.Text, workload.SamplesPerPrompt)).Chunk(workload.Batch)
            .Select(tokenizer.EncodeBatch).ToArray(); // outside the clock, as the other engine's encoding
        try
        {
            foreach (var chunk in chunks) Generate(model, chunk, workload, eos, workload.WarmupTokens, onStep: null); // warm-up, as for the other engine

            long tokens = 0, steps = 0;
            double ttftMs = 0;
            int[] first = [];
            var clock = Stopwatch.StartNew();
            for (int pass = 0; pass < workload.Passes; pass++)
                foreach (var (chunk, i) in chunks.Select((c, i) => (c, i)))
                {
                    var rows = Generate(model, chunk, workload, eos, workload.NewTokens, () =>
                    {
                        if (steps++ == 0) ttftMs = clock.Elapsed.TotalMilliseconds;
                    });
                    tokens += rows.Sum(r => (long)r.Length);
                    if (pass == 0 && i == 0) first = rows[0];
                }
            double seconds = clock.Elapsed.TotalSeconds;
            return new Measurement(request.Engine, workload.Name, tokens, seconds, ttftMs, Measurement.PeakRssOfThisProcessMb(), first);
        }
        finally
        {
            foreach (var chunk in chunks) chunk.Dispose();
        }
    }

    /// <summary>Generates for one batch of prompts; returns each row's new tokens up to its EOS (included), as the other engine counts them.</summary>
    private static int[][] Generate(Model model, Sequences prompts, Workload workload, int eos, int newTokens, Action? onStep)
    {
        int count = (int)prompts.NumSequences;
        int longest = Enumerable.Range(0, count).Max(i => prompts[(ulong)i].Length);
        using var options = new GeneratorParams(model);
        options.SetSearchOption("batch_size", count);
        options.SetSearchOption("max_length", longest + newTokens);
        if (workload.Sampled)
        {
            options.SetSearchOption("do_sample", true);
            options.SetSearchOption("temperature", 1.0);
            options.SetSearchOption("top_k", 0);
            options.SetSearchOption("top_p", 1.0);
            options.SetSearchOption("random_seed", 1);
        }
        else
        {
            options.SetSearchOption("do_sample", false);
            options.SetSearchOption("min_length", longest + newTokens);
        }
        using var generator = new Generator(model, options);
        generator.AppendTokenSequences(prompts);
        while (!generator.IsDone())
        {
            generator.GenerateNextToken();
            onStep?.Invoke();
        }
        return Enumerable.Range(0, count).Select(row =>
        {
            var generated = generator.GetSequence((ulong)row)[longest..];
            int end = generated.IndexOf(eos);
            return (end < 0 ? generated : generated[..(end + 1)]).ToArray();
        }).ToArray();
    }

    private static int EosTokenId(string modelDir) => Rollout.Engine.Model.ModelConfig.Load(Path.Combine(modelDir, "config.json")).EosTokenIds[0];
}
