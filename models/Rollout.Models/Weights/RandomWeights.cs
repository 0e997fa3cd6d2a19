using Rollout.Engine.Model;

namespace Rollout.Models.Weights;

/// <summary>
/// Seeded random weights for a configuration. Scales are chosen so the model is not a uniform
/// sampler: the output head gives logits of standard deviation about 3, which makes next-token
/// distributions peaked, as a trained model's are.
/// </summary>
public static class RandomWeights
{
    private const double LogitStd = 3.0;

    public static ModelWeights Create(ModelConfig config, int seed)
    {
        var rng = new SeededNormal(seed);
        double headStd = LogitStd / Math.Sqrt(config.Hidden);
        var tensors = new Dictionary<string, WeightTensor>();
        foreach (var (name, shape) in CheckpointLayout.Expected(config))
        {
            int count = shape.Aggregate(1, (a, d) => a * d);
            var data = new float[count];
            var (mean, std) = Scale(config, name, shape, headStd);
            for (int i = 0; i < count; i++) data[i] = (float)(mean + std * rng.Next());
            tensors[name] = new WeightTensor(shape, data);
        }
        return new ModelWeights(config, tensors);
    }

    private static (double Mean, double Std) Scale(ModelConfig c, string name, int[] shape, double headStd)
    {
        if (name == CheckpointLayout.Gpt2Embedding || name == CheckpointLayout.LlamaEmbedding || name == CheckpointLayout.LmHead)
            return (0, headStd);
        if (name == CheckpointLayout.Gpt2Positions) return (0, headStd / 2);
        bool isNorm = name.Contains("ln_") || name.Contains("layernorm") || name.EndsWith("norm.weight");
        if (isNorm) return name.EndsWith(".weight") ? (1, 0.1) : (0, 0.1);
        if (shape.Length == 1) return (0, 0.1);
        // Conv1D is [in, out], nn.Linear is [out, in].
        int fanIn = c.Architecture == Architecture.Gpt2 ? shape[0] : shape[1];
        // Projections back into the residual stream outweigh the embedding, so predictions depend on the
        // context rather than echo the current token (which a tied head otherwise does).
        bool intoResidual = name.EndsWith("c_proj.weight") || name.EndsWith("o_proj.weight") || name.EndsWith("down_proj.weight");
        return (0, (intoResidual ? 3.0 : 1.0) / Math.Sqrt(fanIn));
    }

    /// <summary>SplitMix64 with Box–Muller: defined here so seeded models never change with the runtime's Random.</summary>
    private sealed class SeededNormal(int seed)
    {
        private ulong _state = (ulong)(uint)seed * 0x9E3779B97F4A7C15UL + 0x2545F4914F6CDD1DUL;
        private double? _spare;

        public double Next()
        {
            if (_spare is double s) { _spare = null; return s; }
            double u1 = 1.0 - Uniform(), u2 = Uniform();
            double r = Math.Sqrt(-2.0 * Math.Log(u1)), a = 2.0 * Math.PI * u2;
            _spare = r * Math.Sin(a);
            return r * Math.Cos(a);
        }

        private double Uniform()
        {
            ulong z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            return (z >> 11) * (1.0 / (1UL << 53));
        }
    }
}
