using System.Text.Json.Nodes;
using Rollout.Engine.Model;
using Rollout.Engine.Tokenization;
using Rollout.Models.Tests.Support;
using Rollout.Models.Training;
using Rollout.Models.Training.Decoder;
using Rollout.Tests;

namespace Rollout.Models.Tests.Training;

public class TaskTrainerTests
{
    [Fact]
    public void ShortRunWritesALoadableModelFolderAndLowersTheLoss()
    {
        var dir = RepoPaths.NewTempDir("task-trainer");
        try
        {
            var result = TaskTrainer.Train(new TaskTrainingOptions
            {
                OutputDir = dir, ModelSize = TrainerModelSize.Tiny, Steps = 12, BatchSize = 4, LearningRate = 3e-3,
                WarmupSteps = 2, LogEvery = 4, EvalProblems = 5, MaxNewTokens = 8,
            });
            Assert.Equal(3, result.Log.Count);
            Assert.True(result.Log[^1].Loss < result.Log[0].Loss, $"loss {result.Log[0].Loss} → {result.Log[^1].Loss}");

            var config = ModelConfig.Load(Path.Combine(dir, "config.json"));
            Assert.Equal((Architecture.Qwen2, 2, 64, 2, 384, true), (config.Architecture, config.Layers, config.Hidden, config.KvHeads, config.VocabSize, config.TieWordEmbeddings));
            var tokenizer = TextTokenizer.Load(dir);
            Assert.Single(tokenizer.Encode("<episode_3>", addSpecialTokens: false));

            // The exported graph computes what the trainer computes with the weights it returned.
            int[] prompt = [.. tokenizer.Encode("Compute 12 + 7 - 5.", addSpecialTokens: true)];
            var trainer = new TrainableDecoder<float>(DecoderParameters<float>.FromWeights(result.Weights));
            var expected = trainer.Forward(new TokenBatch([new TrainingSequence(prompt, prompt.Length)])).Logits;
            using var onnx = new OrtDecoder(Path.Combine(dir, "onnx", "model.onnx"), config);
            var logits = onnx.Greedy([prompt], steps: 0)[0].Logits;
            for (int t = 0; t < prompt.Length; t++)
                LogitsAssert.Close([.. expected.Skip(t * config.VocabSize).Take(config.VocabSize).Select(f => (double)f)], logits[t], 1e-4, $"position {t}");

            var prompts = File.ReadAllLines(Path.Combine(dir, "test.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
            Assert.Equal(5, prompts.Count);
            Assert.All(prompts, p => Assert.Equal(["id", "prompt", "answer", "difficulty"], p.Select(kv => kv.Key)));
            Assert.Equal(5, result.Greedy!.Problems);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
