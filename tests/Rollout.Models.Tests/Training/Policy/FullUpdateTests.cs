using Rollout.Engine;
using Rollout.Engine.Model;
using Rollout.Models.Reference;
using Rollout.Models.Training;
using Rollout.Models.Training.Decoder;
using Rollout.Models.Training.Ops;
using Rollout.Models.Training.Optimization;
using Rollout.Models.Training.Policy;
using Rollout.Models.Weights;

namespace Rollout.Models.Tests.Training.Policy;

public class FullUpdateTests
{
    /// <summary>Grouped-query attention, two layers; small enough for thousands of float64 forwards.</summary>
    private static ModelConfig Tiny(Architecture arch, bool tied) => new()
    {
        Architecture = arch, Layers = 2, Hidden = 16, Heads = 4, KvHeads = 2, Intermediate = 24,
        VocabSize = 40, MaxPositions = 32, NormEpsilon = 1e-6, RopeTheta = 10000, TieWordEmbeddings = tied,
    };

    /// <summary>Advantages of both signs (and a zero), prompts of different lengths.</summary>
    private static readonly PolicySample[] Samples =
    [
        new([3, 17, 5], [22, 9, 31, 0], [0.8f, -0.3f, 1.5f, -1.1f]),
        new([12, 12], [39, 1, 8], [-0.6f, 0f, 0.4f]),
    ];

    private const double Temperature = 0.7;

    [Theory]
    [InlineData(Architecture.Llama, false)]
    [InlineData(Architecture.Qwen2, true)]
    public void GradientMatchesFiniteDifferencesOfTheSurrogateLoss(Architecture arch, bool tied)
    {
        var config = Tiny(arch, tied);
        var model = new TrainableDecoder<double>(DecoderParameters<double>.FromWeights(RandomWeights.Create(config, seed: 7)));
        var batch = PolicyBatch.Pack(Samples, config);
        model.Parameters.ZeroGradients();
        var pass = model.Forward(batch, Temperature);
        Assert.Equal(Surrogate(pass.Logits, config.VocabSize), pass.Loss, 12);
        model.Backward(pass);

        var rng = new Random(3);
        const double h = 1e-5;
        int[] seen = [.. Samples.SelectMany(s => s.PromptTokenIds.Concat(s.CompletionTokenIds))];
        foreach (var p in model.Parameters.All)
        {
            // Embedding rows of tokens absent from the batch have zero gradient; probe rows that occur.
            var indices = p == model.Parameters.Embedding && !tied
                ? Enumerable.Range(0, 6).Select(_ => seen[rng.Next(seen.Length)] * config.Hidden + rng.Next(config.Hidden))
                : Enumerable.Range(0, 6).Select(_ => rng.Next(p.Value.Length));
            foreach (int i in indices)
            {
                double saved = p.Value[i];
                p.Value[i] = saved + h;
                double up = Surrogate(model.Forward(batch, Temperature).Logits, config.VocabSize);
                p.Value[i] = saved - h;
                double down = Surrogate(model.Forward(batch, Temperature).Logits, config.VocabSize);
                p.Value[i] = saved;
                double numeric = (up - down) / (2 * h);
                Assert.True(Math.Abs(numeric - p.Grad[i]) <= 1e-7 + 1e-6 * Math.Abs(numeric),
                    $"{p.Name}[{i}]: analytic {p.Grad[i]:G10}, finite difference {numeric:G10}");
            }
        }
    }

    /// <summary>−(1/N) Σ_t A_t log softmax(ℓ_t / τ)[z_t] straight from the definition, over <see cref="Samples"/> packed end to end.</summary>
    private static double Surrogate(double[] logits, int vocab)
    {
        double sum = 0;
        int row = 0, count = 0;
        foreach (var s in Samples)
        {
            for (int j = 0; j < s.CompletionTokenIds.Length; j++, count++)
            {
                // Completion token j is predicted at the position before it.
                var l = logits.AsSpan((row + s.PromptTokenIds.Length - 1 + j) * vocab, vocab).ToArray().Select(v => v / Temperature).ToArray();
                double max = l.Max();
                double logProb = l[s.CompletionTokenIds[j]] - max - Math.Log(l.Sum(v => Math.Exp(v - max)));
                sum += s.Advantages[j] * logProb;
            }
            row += s.PromptTokenIds.Length + s.CompletionTokenIds.Length;
        }
        return -sum / count;
    }

    [Fact]
    public void OneTokenLossAndGradientByHand()
    {
        // ℓ = (1, 2, 3), z = 0, A = −0.5, τ = 2: π = softmax(0.5, 1, 1.5), loss = −A log π_0 = 0.5 (0.5 − log Σ e^{ℓ/τ}).
        double[] logits = [1, 2, 3];
        var d = new double[3];
        double loss = CrossEntropy.LossAndGradient(logits, [0], [-0.5], 2.0, rows: 1, vocab: 3, d);
        double z = Math.Exp(0.5) + Math.Exp(1) + Math.Exp(1.5);
        Assert.Equal(0.5 * (0.5 - Math.Log(z)), loss, 14);
        // ∂loss/∂ℓ_v = A (π_v − [v = z]) / τ.
        Assert.Equal(-0.5 * (Math.Exp(0.5) / z - 1) / 2, d[0], 14);
        Assert.Equal(-0.5 * (Math.Exp(1) / z) / 2, d[1], 14);
        Assert.Equal(-0.5 * (Math.Exp(1.5) / z) / 2, d[2], 14);
    }

    [Fact]
    public void OneTokenStepLossIsTheReferenceModelsLogProbability()
    {
        var weights = RandomWeights.Create(Tiny(Architecture.Qwen2, true), seed: 5);
        var update = new FullUpdate(DecoderParameters<float>.FromWeights(weights));
        var step = update.Step([new PolicySample([4, 11], [27], [1.25f])], temperature: 0.6, learningRate: 1e-3);
        // The float64 reference forward's logits at the prompt's last position predict the completion token.
        var l = ReferenceForward.Run(weights, [4, 11]).Logits[1].Select(v => v / 0.6).ToArray();
        double max = l.Max();
        double logProb = l[27] - max - Math.Log(l.Sum(v => Math.Exp(v - max)));
        Assert.Equal(-1.25 * logProb, step.Loss, 5);
        Assert.Equal(1, step.Tokens);
    }

    [Theory]
    [InlineData(Architecture.Llama, false)]
    [InlineData(Architecture.Qwen2, true)]
    public void Float32StepMatchesAFloat64ReferenceStep(Architecture arch, bool tied)
    {
        var config = Tiny(arch, tied);
        var weights = RandomWeights.Create(config, seed: 9);
        const double lr = 1e-3, clip = 0.5, decay = 0.1, eps = 1e-6;
        var update = new FullUpdate(DecoderParameters<float>.FromWeights(weights),
            new FullUpdateOptions { ClipNorm = clip, WeightDecay = decay, Epsilon = eps });
        var step = update.Step(Samples, Temperature, lr);

        // The reference: the float64 decoder (checked against finite differences above), the clip, AdamW (checked by hand).
        var reference = DecoderParameters<double>.FromWeights(weights);
        var model = new TrainableDecoder<double>(reference);
        var pass = model.Forward(PolicyBatch.Pack(Samples, config), Temperature);
        model.Backward(pass);
        double norm = GradientClipping.ClipGlobalNorm(reference.All, clip);
        new AdamW<double>(reference.All, 0.9, 0.999, eps, decay).Step(lr);

        Assert.Equal(pass.Loss, step.Loss, 5);
        Assert.True(Math.Abs(norm - step.GradientNorm) <= 1e-5 * norm, $"gradient norm {step.GradientNorm} vs {norm}");
        double squares = 0;
        for (int i = 0; i < reference.All.Count; i++)
        {
            var p = reference.All[i];
            var original = weights[p.Name].Data;
            var updated = update.Parameters.All[i].Value;
            for (int j = 0; j < p.Value.Length; j++)
            {
                double expected = p.Value[j] - original[j], actual = (double)updated[j] - original[j];
                squares += expected * expected;
                // Adam's first step moves each weight by about lr: float32 rounding of the weight (~1e-7) bounds the rest.
                Assert.True(Math.Abs(expected - actual) <= 0.01 * lr + 2e-7 * Math.Abs(original[j]),
                    $"{p.Name}[{j}]: Δ {actual:G6}, float64 reference {expected:G6}");
            }
        }
        Assert.True(Math.Abs(Math.Sqrt(squares) - step.UpdateNorm) <= 1e-3 * Math.Sqrt(squares), $"update norm {step.UpdateNorm} vs {Math.Sqrt(squares)}");
    }

    [Fact]
    public void ResumingFromExportedWeightsAndOptimizerStateIsBitExact()
    {
        var weights = RandomWeights.Create(Tiny(Architecture.Llama, false), seed: 2);
        var options = new FullUpdateOptions { ClipNorm = 1.0 };
        var straight = new FullUpdate(DecoderParameters<float>.FromWeights(weights), options);
        var first = new FullUpdate(DecoderParameters<float>.FromWeights(weights), options);
        for (int s = 0; s < 2; s++)
        {
            straight.Step(Samples, Temperature, 1e-3);
            first.Step(Samples, Temperature, 1e-3);
        }
        var resumed = new FullUpdate(DecoderParameters<float>.FromWeights(first.Parameters.ToWeights()), options);
        resumed.Optimizer.ImportState(first.Optimizer.ExportState());
        straight.Step(Samples, Temperature, 1e-3);
        resumed.Step(Samples, Temperature, 1e-3);
        for (int i = 0; i < straight.Parameters.All.Count; i++)
            Assert.Equal(straight.Parameters.All[i].Value, resumed.Parameters.All[i].Value);
    }

    [Fact]
    public void MismatchedAdvantagesAreRefused()
    {
        var update = new FullUpdate(DecoderParameters<float>.FromWeights(RandomWeights.Create(Tiny(Architecture.Llama, false), seed: 1)));
        var e = Assert.Throws<InputException>(() => update.Step([new PolicySample([1, 2], [3, 4], [0.5f])], 1.0, 1e-3));
        Assert.Contains("2 completion tokens and 1 advantages", e.Message);
    }

    [Fact]
    public void OptimizerStateOfAnotherShapeIsRefused()
    {
        var a = new FullUpdate(DecoderParameters<float>.FromWeights(RandomWeights.Create(Tiny(Architecture.Llama, false), seed: 1)));
        var b = new FullUpdate(DecoderParameters<float>.FromWeights(RandomWeights.Create(Tiny(Architecture.Qwen2, true), seed: 1)));
        Assert.Throws<InputException>(() => a.Optimizer.ImportState(b.Optimizer.ExportState()));
    }
}
