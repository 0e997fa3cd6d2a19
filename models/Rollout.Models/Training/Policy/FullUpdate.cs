using System.Numerics.Tensors;
using Rollout.Engine;
using Rollout.Models.Training.Decoder;
using Rollout.Models.Training.Optimization;

namespace Rollout.Models.Training.Policy;

/// <summary>
/// The <c>full</c> update of L2T-SPEC §6: every weight of the model moves along the policy gradient of
/// loss = −(1/N) Σ_t A_t log π(z_t) over a batch's N completion tokens, π = softmax(logits / τ) at the sampling
/// temperature, with AdamW. Its weights then go to the engine (<see cref="Tensors"/>) or a folder (<see cref="DecoderParameters{T}.ToWeights"/>).
/// </summary>
public sealed class FullUpdate
{
    private readonly TrainableDecoder<float> _model;
    private readonly double? _clipNorm;

    public DecoderParameters<float> Parameters { get; }
    /// <summary>Its state (<see cref="AdamW{T}.ExportState"/>) and the weights make a checkpoint to resume from.</summary>
    public AdamW<float> Optimizer { get; }

    public FullUpdate(DecoderParameters<float> parameters, FullUpdateOptions? options = null)
    {
        options ??= new FullUpdateOptions();
        Parameters = parameters;
        _model = new TrainableDecoder<float>(parameters);
        _clipNorm = options.ClipNorm;
        Optimizer = new AdamW<float>(parameters.All, options.Beta1, options.Beta2, options.Epsilon, options.WeightDecay);
    }

    /// <summary>The current weights by checkpoint name, the live arrays (no copy): what <c>RolloutEngine.UpdateWeights</c> takes, and copies.</summary>
    public IReadOnlyDictionary<string, float[]> Tensors => Parameters.All.ToDictionary(p => p.Name, p => p.Value);

    /// <param name="temperature">The temperature the completions were sampled at; 1 for greedy.</param>
    public FullUpdateStep Step(IReadOnlyList<PolicySample> samples, double temperature, double learningRate)
    {
        if (!(temperature > 0) || !double.IsFinite(temperature)) throw new InputException($"full update: temperature must be positive (got {temperature})");
        if (!(learningRate >= 0) || !double.IsFinite(learningRate)) throw new InputException($"full update: learning rate must be non-negative (got {learningRate})");
        var batch = PolicyBatch.Pack(samples, Parameters.Config);

        Parameters.ZeroGradients();
        var pass = _model.Forward(batch, temperature);
        _model.Backward(pass);
        double gradientNorm = GradientClipping.ClipGlobalNorm(Parameters.All, _clipNorm ?? double.PositiveInfinity);
        var before = Parameters.All.Select(p => (float[])p.Value.Clone()).ToArray();
        Optimizer.Step(learningRate);
        double squares = 0;
        for (int i = 0; i < before.Length; i++)
        {
            TensorPrimitives.Subtract(Parameters.All[i].Value, before[i], before[i]);
            squares += TensorPrimitives.SumOfSquares<float>(before[i]);
        }
        return new FullUpdateStep(pass.Loss, gradientNorm, Math.Sqrt(squares), batch.TargetCount);
    }
}
