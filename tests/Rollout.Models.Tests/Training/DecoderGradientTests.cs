using Rollout.Engine.Model;
using Rollout.Models.Training;
using Rollout.Models.Training.Decoder;
using Rollout.Models.Weights;

namespace Rollout.Models.Tests.Training;

/// <summary>The analytic backward against central finite differences of the float64 loss, for every tensor of the model.</summary>
public class DecoderGradientTests
{
    /// <summary>Grouped-query attention (4 query heads over 2 kv heads), two layers, small enough for thousands of forwards.</summary>
    private static ModelConfig Tiny(Architecture arch, bool tied) => new()
    {
        Architecture = arch, Layers = 2, Hidden = 16, Heads = 4, KvHeads = 2, Intermediate = 24,
        VocabSize = 40, MaxPositions = 32, NormEpsilon = 1e-6, RopeTheta = 10000, TieWordEmbeddings = tied,
    };

    private static readonly TrainingSequence[] Sequences =
    [
        new([3, 17, 5, 22, 9, 31, 0], PromptLength: 3),
        new([12, 12, 39, 1, 8], PromptLength: 2),
    ];

    [Theory]
    [InlineData(Architecture.Llama, false)]
    [InlineData(Architecture.Qwen2, true)]
    public void EveryParameterGradientMatchesFiniteDifferences(Architecture arch, bool tied)
    {
        var config = Tiny(arch, tied);
        // Random weights at inference scale (peaked logits, non-trivial norms and biases) exercise every term.
        var model = new TrainableDecoder<double>(DecoderParameters<double>.FromWeights(RandomWeights.Create(config, seed: 7)));
        var batch = new TokenBatch(Sequences);
        model.Parameters.ZeroGradients();
        model.Backward(model.Forward(batch));

        var rng = new Random(3);
        const double h = 1e-5;
        foreach (var p in model.Parameters.All)
        {
            // Embedding rows of tokens absent from the batch have zero gradient; probe rows that occur.
            var indices = p == model.Parameters.Embedding && !tied
                ? Enumerable.Range(0, 6).Select(_ => Sequences[0].Tokens[rng.Next(6)] * config.Hidden + rng.Next(config.Hidden))
                : Enumerable.Range(0, 6).Select(_ => rng.Next(p.Value.Length));
            foreach (int i in indices)
            {
                double saved = p.Value[i];
                p.Value[i] = saved + h;
                double up = model.Forward(batch).Loss;
                p.Value[i] = saved - h;
                double down = model.Forward(batch).Loss;
                p.Value[i] = saved;
                double numeric = (up - down) / (2 * h);
                Assert.True(Math.Abs(numeric - p.Grad[i]) <= 1e-7 + 1e-6 * Math.Abs(numeric),
                    $"{p.Name}[{i}]: analytic {p.Grad[i]:G10}, finite difference {numeric:G10}");
            }
        }
    }

    [Fact]
    public void GradientsAreBitForBitReproducible()
    {
        // Enough rows for several parallel chunks, so a reduction in scheduling order would show.
        var rng = new Random(2);
        var batch = new TokenBatch(Enumerable.Range(0, 12)
            .Select(_ => new TrainingSequence(Enumerable.Range(0, 30).Select(_ => rng.Next(40)).ToArray(), PromptLength: 5)).ToList());
        var model = new TrainableDecoder<float>(DecoderParameters<float>.FromWeights(RandomWeights.Create(Tiny(Architecture.Qwen2, true), seed: 4)));
        float[][] Gradients()
        {
            model.Parameters.ZeroGradients();
            model.Backward(model.Forward(batch));
            return model.Parameters.All.Select(p => (float[])p.Grad.Clone()).ToArray();
        }
        var first = Gradients();
        for (int run = 0; run < 3; run++) Assert.Equal(first, Gradients());
    }

    [Fact]
    public void LossIsMeanCrossEntropyOfCompletionTokensOnly()
    {
        var model = new TrainableDecoder<double>(DecoderParameters<double>.FromWeights(RandomWeights.Create(Tiny(Architecture.Llama, false), seed: 1)));
        // Prompt of 3: rows 2 and 3 predict the completion tokens 4 and 5; rows 0, 1 (prompt) and 4 (last) carry no loss.
        var pass = model.Forward(new TokenBatch([new([1, 2, 3, 4, 5], PromptLength: 3)]));
        Assert.Equal(ManualLoss(pass.Logits, 40, [(2, 4), (3, 5)]), pass.Loss, 12);
    }

    /// <summary>Mean of −log softmax(logits[row])[target] over the given (row, target) pairs, straight from the definition.</summary>
    private static double ManualLoss(double[] logits, int vocab, (int Row, int Target)[] targets) =>
        targets.Average(t =>
        {
            var row = logits.AsSpan(t.Row * vocab, vocab).ToArray();
            double max = row.Max();
            return Math.Log(row.Sum(v => Math.Exp(v - max))) + max - row[t.Target];
        });
}
