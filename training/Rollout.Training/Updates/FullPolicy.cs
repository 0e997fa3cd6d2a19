using Rollout.Engine;
using Rollout.Engine.Generation;
using Rollout.Kernels.Update;
using Rollout.Models.ModelFolder;
using Rollout.Models.Training.Decoder;
using Rollout.Models.Training.Optimization;
using Rollout.Models.Training.Policy;
using Rollout.Models.Weights;

namespace Rollout.Training.Updates;

/// <summary>
/// The policy as every weight of the model, trained by the full step (<see cref="FullUpdate"/>); after each step the
/// engine swaps the new weights in (<see cref="RolloutEngine.UpdateWeights"/>) and samples from them, and so does the
/// run's sampler when it samples elsewhere (a cluster's workers).
/// </summary>
public sealed class FullPolicy : IPolicyUpdate
{
    private readonly RolloutEngine _engine;
    private readonly IRolloutGenerator? _sampler;
    private readonly FullUpdate _update;
    private readonly double _learningRate;

    /// <param name="state">A checkpoint's tensors (param.*, adam.m.*, adam.v.*) and step count; null starts from the model's weights.</param>
    /// <param name="sampler">Where the run samples when not from <paramref name="engine"/>; it gets every new set of weights too.</param>
    public FullPolicy(RolloutEngine engine, AdamWSettings adamW, (IReadOnlyList<NamedTensor> Tensors, int Steps)? state, IRolloutGenerator? sampler = null)
    {
        _engine = engine;
        _sampler = sampler;
        _learningRate = adamW.LearningRate;
        var parameters = DecoderParameters<float>.FromWeights(FolderWeights.Read(engine.Model.Path));
        _update = new FullUpdate(parameters, new FullUpdateOptions
        {
            Beta1 = adamW.Beta1, Beta2 = adamW.Beta2, Epsilon = adamW.Epsilon, WeightDecay = adamW.WeightDecay,
        });
        if (state is not { } s) return;
        var tensors = s.Tensors.ToDictionary(t => t.Name, t => t.Values);
        float[] Find(string name) => tensors.TryGetValue(name, out var values) ? values : throw new InputException($"checkpoint: no tensor '{name}'");
        foreach (var p in parameters.All)
        {
            var values = Find($"param.{p.Name}");
            if (values.Length != p.Value.Length) throw new InputException($"checkpoint: '{p.Name}' has {values.Length} values, the model {p.Value.Length}");
            values.CopyTo(p.Value, 0);
        }
        _update.Optimizer.ImportState(new AdamWState<float>(s.Steps,
            [.. parameters.All.Select(p => Find($"adam.m.{p.Name}"))], [.. parameters.All.Select(p => Find($"adam.v.{p.Name}"))]));
        Publish();
    }

    public int Steps => _update.Optimizer.Steps;

    public L2TGeneration Sampling(L2TGeneration settings) => settings;

    public double Step(IReadOnlyList<RolloutResult> rollouts, double temperature)
    {
        var samples = rollouts.Where(r => r.TokenIds.Length > 0)
            .Select(r => new PolicySample(r.PromptTokenIds, r.TokenIds, r.Score?.Advantages ?? throw new ArgumentException($"rollout {r.Sample} of '{r.PromptId}' has no advantages")))
            .ToList();
        var step = _update.Step(samples, temperature, _learningRate);
        Publish();
        return step.UpdateNorm;
    }

    /// <summary>The current weights to everything that samples: the engine here (evaluation) and the run's sampler.</summary>
    private void Publish()
    {
        _engine.UpdateWeights(_update.Tensors);
        if (_sampler != null && _sampler != _engine) _sampler.UpdateWeights(_update.Tensors);
    }

    public IReadOnlyList<NamedTensor> State()
    {
        var optimizer = _update.Optimizer.ExportState();
        var all = _update.Parameters.All;
        return
        [
            .. all.Select(p => new NamedTensor($"param.{p.Name}", (float[])p.Value.Clone())),
            .. all.Select((p, i) => new NamedTensor($"adam.m.{p.Name}", optimizer.FirstMoments[i])),
            .. all.Select((p, i) => new NamedTensor($"adam.v.{p.Name}", optimizer.SecondMoments[i])),
        ];
    }

    public void WritePolicy(string folder) => PolicyFolderWriter.Write(_update.Parameters.ToWeights(), _engine.Model.Path, folder);

    public void Dispose() { }
}
