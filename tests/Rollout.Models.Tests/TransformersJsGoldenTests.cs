using System.Text.Json.Nodes;
using Microsoft.ML.OnnxRuntimeGenAI;
using Rollout.Engine.Model;
using Rollout.Models.ModelFolder;
using Rollout.Models.Onnx;
using Rollout.Models.Reference;
using Rollout.Models.Tests.Support;
using Rollout.Models.Weights;
using Rollout.Tests;

namespace Rollout.Models.Tests;

/// <summary>
/// Greedy tokens that transformers.js (an independent Hugging Face implementation on
/// onnxruntime-node) produced from folders written by <see cref="NewModel"/>; recorded in
/// Fixtures/transformersjs-*.json by tests/hf-reference/generate.mjs (see its README). The same seeded
/// model is rebuilt here and both the float64 reference and the ONNX graph must produce the same tokens.
/// </summary>
public class TransformersJsGoldenTests
{
    /// <summary>The <c>model new</c> arguments each fixture was recorded from (README: hf-reference).</summary>
    public static readonly TheoryData<string, int, int, int, int, int, int, int> Specs = new()
    {
        { "gpt2", 2, 32, 4, 4, 128, 300, 11 },
        { "llama", 2, 32, 4, 2, 64, 300, 12 },
        { "qwen2", 2, 48, 6, 2, 96, 320, 13 },
    };

    [Theory]
    [MemberData(nameof(Specs))]
    public void ReferenceAndOnnxGreedyTokensEqualTransformersJs(string arch, int layers, int hidden, int heads, int kvHeads,
        int intermediate, int vocab, int seed)
    {
        var (prompts, steps, expected) = ReadFixture(arch);
        var dir = Path.Combine(RepoPaths.NewTempDir("tjs"), arch);
        var config = NewModel.Write(ModelConfig.ParseArchitecture(arch), layers, hidden, heads, kvHeads, intermediate, vocab, seed, dir, WeightDtype.Float32);
        Assert.Equal(config, ModelConfig.Parse(Fixture(arch)["config"]!.AsObject()), ConfigComparer.Instance);

        var weights = RandomWeights.Create(config, seed);
        using var decoder = new OrtDecoder(Path.Combine(dir, ModelFolderWriter.OnnxFile), config);
        var ort = decoder.Greedy(prompts, steps);
        for (int b = 0; b < prompts.Length; b++)
        {
            Assert.Equal(expected[b], ReferenceForward.Greedy(weights, prompts[b], steps));
            Assert.Equal(expected[b], ort[b].Generated);
        }
    }

    [Theory]
    [MemberData(nameof(Specs))]
    public void OnnxRuntimeGenAiLoadsTheFolderAndItsGreedyTokensEqualTransformersJs(string arch, int layers, int hidden, int heads,
        int kvHeads, int intermediate, int vocab, int seed)
    {
        var (prompts, steps, expected) = ReadFixture(arch);
        var dir = Path.Combine(RepoPaths.NewTempDir("genai"), arch);
        NewModel.Write(ModelConfig.ParseArchitecture(arch), layers, hidden, heads, kvHeads, intermediate, vocab, seed, dir, WeightDtype.Float32);
        using var model = new Model(dir);
        for (int b = 0; b < prompts.Length; b++)
        {
            using var options = new GeneratorParams(model);
            options.SetSearchOption("max_length", prompts[b].Length + steps);
            options.SetSearchOption("do_sample", false);
            using var generator = new Generator(model, options);
            generator.AppendTokens(prompts[b]);
            while (!generator.IsDone()) generator.GenerateNextToken();
            Assert.Equal(expected[b], generator.GetSequence(0)[prompts[b].Length..].ToArray());
        }
    }

    private static JsonNode Fixture(string arch) => JsonNode.Parse(File.ReadAllText(
        Path.Combine(RepoPaths.Root, "tests", "Rollout.Models.Tests", "Fixtures", $"transformersjs-{arch}.json")))!;

    /// <summary>The prompts, the number of new tokens, and transformers.js's tokens (alone and in a padded batch, which agree).</summary>
    private static (int[][] Prompts, int Steps, int[][] Tokens) ReadFixture(string arch)
    {
        var fixture = Fixture(arch);
        int[][] Rows(string name) => fixture[name]!.AsArray().Select(r => r!.AsArray().Select(t => (int)t!).ToArray()).ToArray();
        var single = Rows("single");
        Assert.Equal(single, Rows("batched"));
        return (Rows("prompts"), (int)fixture["new_tokens"]!, single);
    }

    /// <summary>Records compare by value; EosTokenIds is an array, so compare the fields that shape the weights.</summary>
    private sealed class ConfigComparer : IEqualityComparer<ModelConfig>
    {
        public static readonly ConfigComparer Instance = new();
        public bool Equals(ModelConfig? a, ModelConfig? b) => a!.Architecture == b!.Architecture && a.Layers == b.Layers &&
            a.Hidden == b.Hidden && a.Heads == b.Heads && a.KvHeads == b.KvHeads && a.Intermediate == b.Intermediate &&
            a.VocabSize == b.VocabSize && a.MaxPositions == b.MaxPositions && a.NormEpsilon == b.NormEpsilon &&
            a.RopeTheta == b.RopeTheta && a.TieWordEmbeddings == b.TieWordEmbeddings;
        public int GetHashCode(ModelConfig c) => c.Layers;
    }
}
