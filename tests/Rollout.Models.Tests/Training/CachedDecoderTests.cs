using Rollout.Models.Reference;
using Rollout.Models.Tests.Support;
using Rollout.Models.Training.Decoder;
using Rollout.Models.Training.Ops;
using Rollout.Models.Weights;

namespace Rollout.Models.Tests.Training;

public class CachedDecoderTests
{
    [Theory]
    [InlineData("llama")]
    [InlineData("qwen2")]
    public void GreedyTokensMatchReferenceGreedy(string arch)
    {
        var weights = RandomWeights.Create(TinyModels.ByName(arch), seed: 6);
        var parameters = DecoderParameters<float>.FromWeights(weights);
        var rope = new RotaryEmbedding<float>(weights.Config.HeadDim, weights.Config.MaxPositions, weights.Config.RopeTheta);
        int[] prompt = [5, 17, 230, 9];
        // An end-of-text id outside the vocabulary, so generation runs the full length.
        var generated = CachedDecoder.Generate(parameters, rope, prompt, maxNewTokens: 8, eosId: -1, rng: null);
        Assert.Equal(ReferenceForward.Greedy(weights, prompt, 8), generated);
    }
}
