using Rollout.Engine.Model;
using Rollout.Models.ModelFolder;
using Rollout.Models.Onnx;

namespace Rollout.Bench.Peer;

/// <summary>The two model sizes of the peer comparison, written once into a cache folder.</summary>
public static class BenchModels
{
    /// <summary>A tiny Llama (≈0.2 M parameters) and a mid-size one (≈40 M): per-step overhead versus matrix work.</summary>
    public static readonly (string Name, Func<string, ModelConfig> Write)[] All =
    [
        ("tiny-llama", dir => NewModel.Write(Architecture.Llama, layers: 2, hidden: 64, heads: 4, kvHeads: 2, intermediate: 192,
            vocab: 512, seed: 1, dir, WeightDtype.Float32, maxPositions: 512)),
        ("mid-llama-40M", dir => NewModel.Write(Architecture.Llama, layers: 8, hidden: 640, heads: 10, kvHeads: 5, intermediate: 1792,
            vocab: 2048, seed: 1, dir, WeightDtype.Float32, maxPositions: 512)),
    ];

    /// <summary>The shipped arithmetic model (models/arith-qwen2), benched on its own task (<see cref="WorkerRequest.IsTask"/>).</summary>
    public const string ArithTask = DefaultModel.FolderName;

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
