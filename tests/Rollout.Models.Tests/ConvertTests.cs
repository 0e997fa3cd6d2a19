using System.Text.Json.Nodes;
using Rollout.Engine;
using Rollout.Engine.Model;
using Rollout.Models.Convert;
using Rollout.Models.ModelFolder;
using Rollout.Models.Onnx;
using Rollout.Models.Tests.Support;
using Rollout.Models.Weights;
using Rollout.Tests;

namespace Rollout.Models.Tests;

/// <summary>
/// Hugging Face checkpoints written here (safetensors, single or sharded, F32/F16/BF16) are converted
/// and the converted folder's logits must match the reference computed from the source tensors.
/// </summary>
public class ConvertTests
{
    [Theory]
    [InlineData("gpt2", "F32", 1, false)]
    [InlineData("gpt2", "BF16", 2, true)]
    [InlineData("llama", "F16", 1, false)]
    [InlineData("llama", "BF16", 3, false)]
    [InlineData("qwen2", "F32", 2, false)]
    [InlineData("qwen2", "F16", 1, true)]
    public void ConvertedFolderMatchesReferenceOfSourceTensors(string arch, string dtype, int shards, bool float16Output)
    {
        var source = RandomWeights.Create(TinyModels.ByName(arch), seed: 21);
        var src = WriteCheckpoint(source, dtype, shards, stripGpt2Prefix: arch == "gpt2" && shards == 1);
        var outDir = RepoPaths.NewTempDir("converted");

        var config = ModelConverter.Convert(src, outDir, float16Output ? WeightDtype.Float16 : WeightDtype.Float32);

        Assert.Equal(source.Config.VocabSize, config.VocabSize);
        var stored = DecoderCheck.Rounded(source, x => SafetensorsWriter.Round(x, dtype));
        var oracle = float16Output ? DecoderCheck.Rounded(stored, x => (float)(Half)x) : stored;
        DecoderCheck.AssertMatchesReference(Path.Combine(outDir, ModelFolderWriter.OnnxFile), oracle, DecoderCheck.Prompts);
        foreach (var file in new[] { "config.json", "genai_config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "vocab.json" })
            Assert.True(File.Exists(Path.Combine(outDir, file)), file);
        Assert.Equal(File.ReadAllText(Path.Combine(src, "generation_config.json")), File.ReadAllText(Path.Combine(outDir, "generation_config.json")));
    }

    [Fact]
    public void UntiedGpt2AndExternalDataConvert()
    {
        var source = RandomWeights.Create(TinyModels.Gpt2 with { TieWordEmbeddings = false }, seed: 22);
        var src = WriteCheckpoint(source, "F32", 1, stripGpt2Prefix: false);
        var outDir = RepoPaths.NewTempDir("converted");
        ModelConverter.Convert(src, outDir, WeightDtype.Float32, externalDataThreshold: 0);
        Assert.True(File.Exists(Path.Combine(outDir, "onnx", "model.onnx.data")));
        DecoderCheck.AssertMatchesReference(Path.Combine(outDir, ModelFolderWriter.OnnxFile), source, DecoderCheck.Prompts);
    }

    [Fact]
    public void MissingTensorIsAnInputErrorNamingIt()
    {
        var source = RandomWeights.Create(TinyModels.Llama, seed: 23);
        var src = WriteCheckpoint(source, "F32", 1, stripGpt2Prefix: false, skip: "model.layers.1.mlp.up_proj.weight");
        var e = Assert.Throws<InputException>(() => ModelConverter.Convert(src, RepoPaths.NewTempDir("converted"), WeightDtype.Float32));
        Assert.Contains("model.layers.1.mlp.up_proj.weight", e.Message);
    }

    [Fact]
    public void TruncatedSafetensorsIsAnInputErrorNamingTheFile()
    {
        var src = WriteCheckpoint(RandomWeights.Create(TinyModels.Llama, seed: 24), "F32", 1, stripGpt2Prefix: false);
        var file = Path.Combine(src, HfCheckpoint.SingleFile);
        var bytes = File.ReadAllBytes(file);
        File.WriteAllBytes(file, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<InputException>(() => ModelConverter.Convert(src, RepoPaths.NewTempDir("converted"), WeightDtype.Float32));
        Assert.Contains(file, e.Message);
    }

    [Fact]
    public void FolderWithoutWeightsIsAnInputError()
    {
        var dir = RepoPaths.NewTempDir("noweights");
        TinyModels.Gpt2.Save(Path.Combine(dir, "config.json"));
        var e = Assert.Throws<InputException>(() => ModelConverter.Convert(dir, RepoPaths.NewTempDir("converted"), WeightDtype.Float32));
        Assert.Contains(dir, e.Message);
    }

    /// <summary>
    /// A checkpoint folder as Hugging Face saves it: config, generation config, the GPT-2 tokenizer
    /// files from shared/, and the tensors, plus the non-weight buffers real checkpoints carry.
    /// </summary>
    private static string WriteCheckpoint(ModelWeights w, string dtype, int shards, bool stripGpt2Prefix, string? skip = null)
    {
        var dir = RepoPaths.NewTempDir("hf");
        w.Config.Save(Path.Combine(dir, "config.json"));
        File.WriteAllText(Path.Combine(dir, "generation_config.json"), "{\"bos_token_id\": 0, \"eos_token_id\": 0, \"do_sample\": false}");
        foreach (var f in Directory.GetFiles(RepoPaths.Gpt2Tokenizer, "*.json")) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));

        var tensors = w.Tensors.Where(kv => kv.Key != skip)
            .Select(kv => (Name: stripGpt2Prefix ? kv.Key.Replace("transformer.", "") : kv.Key, Tensor: kv.Value)).ToList();
        if (w.Config.Architecture == Architecture.Gpt2)
            tensors.Add((stripGpt2Prefix ? "h.0.attn.bias" : "transformer.h.0.attn.bias", new WeightTensor([1, 1, 4, 4], new float[16])));
        if (w.Config.TieWordEmbeddings) tensors.Add((CheckpointLayout.LmHead, w.OutputHead));

        if (shards == 1)
        {
            SafetensorsWriter.Write(Path.Combine(dir, HfCheckpoint.SingleFile), tensors, dtype);
            return dir;
        }
        var weightMap = new JsonObject();
        int perShard = (tensors.Count + shards - 1) / shards;
        for (int s = 0; s < shards; s++)
        {
            var name = $"model-{s + 1:D5}-of-{shards:D5}.safetensors";
            var part = tensors.Skip(s * perShard).Take(perShard).ToList();
            SafetensorsWriter.Write(Path.Combine(dir, name), part, dtype);
            foreach (var (tensorName, _) in part) weightMap[tensorName] = name;
        }
        var index = new JsonObject { ["metadata"] = new JsonObject { ["total_size"] = 0 }, ["weight_map"] = weightMap };
        File.WriteAllText(Path.Combine(dir, HfCheckpoint.IndexFile), index.ToJsonString());
        return dir;
    }
}
