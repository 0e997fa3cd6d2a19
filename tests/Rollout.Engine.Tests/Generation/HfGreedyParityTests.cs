using System.Text.Json.Nodes;
using Rollout.Engine.Generation;
using Rollout.Engine.Model;
using Rollout.Engine.Prompts;
using Rollout.Engine.Sampling;
using Rollout.Models.ModelFolder;
using Rollout.Models.Onnx;
using Rollout.Tests;

namespace Rollout.Engine.Tests.Generation;

/// <summary>
/// The engine's greedy tokens equal those of an independent Hugging Face implementation
/// (transformers.js on onnxruntime-node), recorded in tests/Rollout.Models.Tests/Fixtures by
/// tests/hf-reference/generate.mjs on folders that `model new` wrote with these arguments.
/// </summary>
public sealed class HfGreedyParityTests
{
    public static readonly TheoryData<string, int, int, int, int, int, int, int> Recorded = new()
    {
        { "gpt2", 2, 32, 4, 4, 128, 300, 11 },
        { "llama", 2, 32, 4, 2, 64, 300, 12 },
        { "qwen2", 2, 48, 6, 2, 96, 320, 13 },
    };

    [Theory]
    [MemberData(nameof(Recorded))]
    public void Engine_greedy_equals_transformers_js_alone_and_in_a_padded_batch(string arch, int layers, int hidden, int heads,
        int kvHeads, int intermediate, int vocab, int seed)
    {
        var fixture = JsonNode.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "tests/Rollout.Models.Tests/Fixtures", $"transformersjs-{arch}.json")))!;
        var prompts = fixture["prompts"]!.AsArray().Select((p, i) => new EncodedPrompt($"p{i}", p!.AsArray().Select(x => (int)x!).ToArray(), null)).ToList();
        int newTokens = (int)fixture["new_tokens"]!;
        var expected = fixture["single"]!.AsArray().Select(s => s!.AsArray().Select(x => (int)x!).ToArray()).ToList();

        var dir = Path.Combine(RepoPaths.NewTempDir("hf-parity"), arch);
        NewModel.Write(ModelConfig.ParseArchitecture(arch), layers, hidden, heads, kvHeads, intermediate, vocab, seed, dir, WeightDtype.Float32);
        using var engine = RolloutEngine.Open(dir);
        foreach (var batchSize in new[] { 1, prompts.Count })
        {
            var options = new GenerationOptions { Sampling = new SamplingParams { Greedy = true }, MaxNewTokens = newTokens, IgnoreEos = true, BatchSize = batchSize };
            Assert.Equal(expected, engine.Generate(prompts, options).Select(r => r.TokenIds).ToList());
        }
        Directory.Delete(Path.GetDirectoryName(dir)!, recursive: true);
    }
}
