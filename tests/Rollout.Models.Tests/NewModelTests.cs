using System.Text.Json.Nodes;
using Microsoft.ML.OnnxRuntime;
using Rollout.Engine;
using Rollout.Engine.Model;
using Rollout.Models.ModelFolder;
using Rollout.Models.Onnx;
using Rollout.Tests;

namespace Rollout.Models.Tests;

public class NewModelTests
{
    [Theory]
    [InlineData(Architecture.Gpt2, "decoder")]
    [InlineData(Architecture.Llama, "llama")]
    [InlineData(Architecture.Qwen2, "qwen2")]
    public void WritesAFolderGenAiAndHuggingFaceToolsCanRead(Architecture arch, string genAiType)
    {
        var dir = Path.Combine(RepoPaths.NewTempDir("new"), "m");
        int kvHeads = arch == Architecture.Gpt2 ? 4 : 2;
        var config = NewModel.Write(arch, 2, 32, 4, kvHeads, 64, 300, 1, dir, WeightDtype.Float32);

        foreach (var file in new[] { "config.json", "generation_config.json", "genai_config.json", "tokenizer.json", "onnx/model.onnx" })
            Assert.True(File.Exists(Path.Combine(dir, file)), file);
        Assert.Equal(config, ModelConfig.Load(Path.Combine(dir, "config.json")) with { EosTokenIds = config.EosTokenIds });

        var genai = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "genai_config.json")))!["model"]!;
        var decoder = genai["decoder"]!;
        Assert.Equal(genAiType, (string)genai["type"]!);
        Assert.Equal("onnx/model.onnx", (string)decoder["filename"]!);
        Assert.Equal(8, (int)decoder["head_size"]!);
        Assert.Equal(kvHeads, (int)decoder["num_key_value_heads"]!);
        Assert.Equal("past_key_values.%d.key", (string)decoder["inputs"]!["past_key_names"]!);
        Assert.Equal("present.%d.value", (string)decoder["outputs"]!["present_value_names"]!);
        Assert.Equal(config.EosTokenIds[0], (int)genai["pad_token_id"]!);

        // GenAI checks vocab_size against the width of the logits output.
        using var session = new InferenceSession(Path.Combine(dir, "onnx", "model.onnx"));
        Assert.Equal((int)genai["vocab_size"]!, session.OutputMetadata["logits"].Dimensions[2]);
    }

    [Fact]
    public void A_tokenizer_smaller_than_the_vocabulary_leaves_the_ids_above_it_as_padding_rows()
    {
        var dir = Path.Combine(RepoPaths.NewTempDir("new"), "padded");
        var config = NewModel.Write(Architecture.Qwen2, 1, 32, 2, 1, 64, vocab: 1000, seed: 1, dir, WeightDtype.Float32, tokenizerVocab: 300);

        Assert.Equal(1000, config.VocabSize);
        var folder = Engine.Model.ModelFolder.Open(dir);
        Assert.InRange(folder.Tokenizer.VocabSize, 2, 300);
        using var session = new InferenceSession(Path.Combine(dir, "onnx", "model.onnx"));
        Assert.Equal(1000, session.OutputMetadata["logits"].Dimensions[2]);
        Assert.Throws<InputException>(() => NewModel.Write(Architecture.Qwen2, 1, 32, 2, 1, 64, vocab: 200, seed: 1,
            Path.Combine(RepoPaths.NewTempDir("new"), "refused"), WeightDtype.Float32, tokenizerVocab: 300));
    }

    [Theory]
    [InlineData(Architecture.Gpt2, 4, true)]
    [InlineData(Architecture.Llama, 2, false)]
    [InlineData(Architecture.Qwen2, 2, false)]
    public void AFusedFolderTellsGenAiThatPastAndPresentShareOneBuffer(Architecture arch, int kvHeads, bool positionIds)
    {
        var dir = Path.Combine(RepoPaths.NewTempDir("new-fused"), "m");
        var config = NewModel.Write(arch, 2, 64, 4, kvHeads, 64, 300, 1, dir, WeightDtype.Float32, maxPositions: 96, graph: DecoderGraphLayout.Fused);

        var genai = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "genai_config.json")))!;
        Assert.True((bool)genai["search"]!["past_present_share_buffer"]!);
        Assert.Equal(96, (int)genai["search"]!["max_length"]!);
        var inputs = genai["model"]!["decoder"]!["inputs"]!.AsObject();
        Assert.Equal(positionIds, inputs.ContainsKey("position_ids"));
        Assert.Equal(DecoderGraphLayout.Fused, GenAiConfig.ReadLayout(dir));

        // The names GenAI is told are the graph's, and the cache's length is the shared buffer's.
        using var session = new InferenceSession(Path.Combine(dir, "onnx", "model.onnx"));
        Assert.Equal(inputs.Select(kv => (string)kv.Value!).Where(n => !n.Contains("%d")).Order(),
            session.InputMetadata.Keys.Where(n => !n.StartsWith("past_key_values")).Order());
        Assert.Equal("max_sequence_length", session.InputMetadata["past_key_values.0.key"].SymbolicDimensions[2]);
        Assert.Equal(config.Layers, session.OutputMetadata.Keys.Count(n => n.StartsWith("present.") && n.EndsWith(".key")));
    }

    [Fact]
    public void AHeadSizeTheFusedGraphCannotRunIsRefusedBeforeAnythingIsWritten()
    {
        var dir = Path.Combine(RepoPaths.NewTempDir("new-fused-bad"), "m");
        var e = Assert.Throws<InputException>(() =>
            NewModel.Write(Architecture.Llama, 2, 32, 4, 2, 64, 300, 1, dir, WeightDtype.Float32, graph: DecoderGraphLayout.Fused));
        Assert.Contains("multiple of 16", e.Message);
        Assert.False(Directory.Exists(dir));
    }

    [Theory]
    [InlineData(Architecture.Llama, 32, 5, 5, "multiple of heads")]
    [InlineData(Architecture.Llama, 32, 4, 3, "multiple of kv-heads")]
    [InlineData(Architecture.Gpt2, 32, 4, 2, "kv-heads")]
    [InlineData(Architecture.Qwen2, 36, 12, 12, "even head size")]
    [InlineData(Architecture.Llama, 32, 4, 4, "layers")]
    public void ImpossibleShapesAreInputErrors(Architecture arch, int hidden, int heads, int kvHeads, string expected)
    {
        int layers = expected == "layers" ? 0 : 2;
        var e = Assert.Throws<InputException>(() =>
            NewModel.Write(arch, layers, hidden, heads, kvHeads, 64, 300, 1, RepoPaths.NewTempDir("bad"), WeightDtype.Float32));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void RefusesANonEmptyOutputFolder()
    {
        var dir = RepoPaths.NewTempDir("busy");
        File.WriteAllText(Path.Combine(dir, "keep.txt"), "x");
        var e = Assert.Throws<InputException>(() => NewModel.Write(Architecture.Llama, 1, 32, 4, 4, 64, 300, 1, dir, WeightDtype.Float32));
        Assert.Contains(dir, e.Message);
    }
}
