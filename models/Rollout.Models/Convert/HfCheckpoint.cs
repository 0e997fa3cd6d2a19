using System.Text.Json;
using Rollout.Engine;
using Rollout.Engine.Model;
using Rollout.Models.Weights;

namespace Rollout.Models.Convert;

/// <summary>
/// Loads a Hugging Face checkpoint folder (config.json with model.safetensors, or shards listed in
/// model.safetensors.index.json) into <see cref="ModelWeights"/>. Names are normalised: GPT-2
/// checkpoints saved from the bare GPT2Model lack the <c>transformer.</c> prefix; buffers that are
/// not weights (GPT-2's attn.bias masks, rotary inv_freq) and a tied model's redundant lm_head are dropped.
/// </summary>
public static class HfCheckpoint
{
    public const string SingleFile = "model.safetensors";
    public const string IndexFile = "model.safetensors.index.json";

    public static ModelWeights Load(string dir)
    {
        if (!Directory.Exists(dir)) throw new InputException($"{dir}: checkpoint folder not found");
        var configPath = Path.Combine(dir, "config.json");
        ModelConfig config;
        try { config = ModelConfig.Load(configPath); }
        catch (Exception e) when (e is FormatException or FileNotFoundException or InvalidOperationException)
        { throw new InputException(e.Message, e); }

        var tensors = new Dictionary<string, WeightTensor>();
        foreach (var file in WeightFiles(dir))
            foreach (var (name, tensor) in SafetensorsFile.Read(file))
                tensors[Normalise(config, name)] = tensor;

        if (ModelWeights.FindProblem(config, tensors) is string problem) throw new InputException($"{dir}: {problem}");
        return new ModelWeights(config, tensors);
    }

    private static IEnumerable<string> WeightFiles(string dir)
    {
        var single = Path.Combine(dir, SingleFile);
        if (File.Exists(single)) return [single];
        var index = Path.Combine(dir, IndexFile);
        if (!File.Exists(index)) throw new InputException($"{dir}: neither {SingleFile} nor {IndexFile} found");
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllText(index));
            return json.RootElement.GetProperty("weight_map").EnumerateObject()
                .Select(e => e.Value.GetString()!).Distinct().Order(StringComparer.Ordinal)
                .Select(f => Path.Combine(dir, f)).ToList();
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        { throw new InputException($"{index}: malformed index ({e.Message})"); }
    }

    private static string Normalise(ModelConfig config, string name) =>
        config.Architecture == Architecture.Gpt2 && !name.StartsWith("transformer.") && name != CheckpointLayout.LmHead
            ? "transformer." + name
            : name;
}
