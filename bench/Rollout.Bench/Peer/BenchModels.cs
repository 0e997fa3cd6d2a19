using Rollout.Engine.Model;
using Rollout.Models.ModelFolder;
using Rollout.Models.Onnx;
using Rollout.Models.Weights;

namespace Rollout.Bench.Peer;

/// <summary>The random-weight bench models, written once into a cache folder, and the shipped arithmetic model.</summary>
public static class BenchModels
{
    /// <summary>A tiny Llama (≈0.2 M parameters) and a mid-size one (≈40 M): per-step overhead versus matrix work; and one of a real
    /// model's vocabulary (≈196 M, most of it the embedding). All in the fused layout, GenAI's best (past and present one buffer).</summary>
    public static readonly (string Name, Func<string, ModelConfig> Write)[] All =
    [
        ("tiny-llama", dir => NewModel.Write(Architecture.Llama, layers: 2, hidden: 64, heads: 4, kvHeads: 2, intermediate: 192,
            vocab: 512, seed: 1, dir, WeightDtype.Float32, maxPositions: 512, DecoderGraphLayout.Fused)),
        ("mid-llama-40M", dir => NewModel.Write(Architecture.Llama, layers: 8, hidden: 640, heads: 10, kvHeads: 5, intermediate: 1792,
            vocab: 2048, seed: 1, dir, WeightDtype.Float32, maxPositions: 512, DecoderGraphLayout.Fused)),
        // Qwen2-0.5B's vocabulary, width and heads on 4 layers: the head and the sampling over 151936 logits weigh as in a
        // real model. The built-in corpus trains 4096 tokens (at most 4670); the ids above are padding rows, as Qwen2's own are past its tokenizer.
        (RealVocab, dir => NewModel.Write(Architecture.Qwen2, layers: 4, hidden: 896, heads: 14, kvHeads: 2, intermediate: 4864,
            vocab: 151936, seed: 1, dir, WeightDtype.Float32, maxPositions: 4096, DecoderGraphLayout.Fused, tokenizerVocab: 4096)),
    ];

    /// <summary>The model of the fixed and long workloads.</summary>
    public const string RealVocab = "qwen2-vocab151936";

    /// <summary>The shipped arithmetic model (models/arith-qwen2), the task workload's (<see cref="Workload"/>).</summary>
    public const string ArithTask = DefaultModel.FolderName;

    /// <summary>Weights in the checkpoint, the embedding once when the head is tied to it.</summary>
    public static long Parameters(string dir) =>
        CheckpointLayout.Expected(ModelConfig.Load(Path.Combine(dir, "config.json"))).Sum(t => t.Shape.Aggregate(1L, (n, d) => n * d));

    public static IReadOnlyList<(string Name, string Dir)> Ensure(string cacheDir, IEnumerable<string> names)
    {
        var result = new List<(string, string)>();
        foreach (var name in names)
        {
            if (name == ArithTask)
            {
                result.Add((name, DefaultModel.Path));
                continue;
            }
            var (_, write) = All.FirstOrDefault(m => m.Name == name);
            if (write == null) throw new ArgumentException($"unknown bench model '{name}' ({string.Join(", ", All.Select(m => m.Name).Append(ArithTask))})");
            var dir = Path.Combine(cacheDir, name);
            if (!File.Exists(Path.Combine(dir, ModelFolderWriter.OnnxFile)))
            {
                if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
                write(dir);
            }
            result.Add((name, dir));
        }
        return result;
    }
}
