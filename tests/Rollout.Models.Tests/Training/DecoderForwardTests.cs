using Rollout.Models.Reference;
using Rollout.Models.Tests.Support;
using Rollout.Models.Training;
using Rollout.Models.Training.Decoder;
using Rollout.Models.Weights;

namespace Rollout.Models.Tests.Training;

/// <summary>The trainer's float32 forward against the shared float64 reference forward.</summary>
public class DecoderForwardTests
{
    [Theory]
    [InlineData("llama")]
    [InlineData("qwen2")]
    public void PackedBatchLogitsMatchReferencePerSequence(string arch)
    {
        var weights = RandomWeights.Create(TinyModels.ByName(arch), seed: 5);
        var model = new TrainableDecoder<float>(DecoderParameters<float>.FromWeights(weights));
        int[][] sequences = [[5, 17, 230, 9, 44, 101, 3, 60, 2], [250, 11, 7], [7, 7, 120, 64, 1, 0, 299, 12]];
        var pass = model.Forward(new TokenBatch(sequences.Select(s => new TrainingSequence(s, s.Length)).ToList()));
        int vocab = weights.Config.VocabSize, row = 0;
        foreach (var seq in sequences)
        {
            var reference = ReferenceForward.Run(weights, seq).Logits;
            for (int t = 0; t < seq.Length; t++, row++)
                for (int v = 0; v < vocab; v++)
                    Assert.True(Math.Abs(reference[t][v] - pass.Logits[row * vocab + v]) < 1e-4,
                        $"token {t}, logit {v}: reference {reference[t][v]}, trainer {pass.Logits[row * vocab + v]}");
        }
    }

    [Fact]
    public void WeightsRoundTripThroughCheckpointNames()
    {
        var weights = RandomWeights.Create(TinyModels.Qwen2, seed: 9);
        var back = DecoderParameters<float>.FromWeights(weights).ToWeights();
        foreach (var (name, tensor) in weights.Tensors) Assert.Equal(tensor.Data, back[name].Data);
    }
}
