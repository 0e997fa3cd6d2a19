using Rollout.Engine;
using Rollout.Engine.Generation;
using Rollout.Kernels.Runtime;
using Rollout.Kernels.Svd;
using Rollout.Models.ModelFolder;
using Rollout.Models.Weights;

namespace Rollout.Training.Updates;

/// <summary>The policy base model + head core M, trained by the lightweight step (<see cref="CoreUpdate"/>).</summary>
public sealed class CorePolicy : IPolicyUpdate
{
    private readonly RolloutEngine _engine;
    private readonly L2TGeneration _settings;
    private readonly AcceleratorHost _host;
    private readonly CoreUpdate _update;

    /// <param name="state">A checkpoint's tensors (core, adam.m, adam.v) and step count; null starts from M = 0.</param>
    public CorePolicy(RolloutEngine engine, L2TGeneration settings, CoreUpdateSettings update, (IReadOnlyList<NamedTensor> Tensors, int Steps)? state)
    {
        _engine = engine;
        _settings = settings;
        _host = AcceleratorHost.Create(AcceleratorKind.Managed);
        int rank = settings.Options.Rank;
        _update = state is { } s
            ? new CoreUpdate(_host, update, new HeadCore(rank, Find(s.Tensors, "core")), Find(s.Tensors, "adam.m"), Find(s.Tensors, "adam.v"), s.Steps)
            : new CoreUpdate(_host, rank, update);
    }

    public int Steps => _update.Steps;

    public L2TGeneration Sampling(L2TGeneration settings) => settings with { Core = _update.Core };

    public double Step(IReadOnlyList<RolloutResult> rollouts, double temperature) => _update.Step(rollouts);

    public IReadOnlyList<NamedTensor> State() =>
        [new("core", _update.Core.ToArray()), new("adam.m", (float[])_update.FirstMoment.Clone()), new("adam.v", (float[])_update.SecondMoment.Clone())];

    public void WritePolicy(string folder)
    {
        var factors = _engine.HeadFactors(_settings);
        var weights = FolderWeights.Read(_engine.Model.Path);
        PolicyFolderWriter.Write(weights.WithOutputHead(HeadBake.Apply(weights.OutputHead.Data, factors, _update.Core)), _engine.Model.Path, folder);
    }

    public void Dispose() => _host.Dispose();

    private static float[] Find(IReadOnlyList<NamedTensor> tensors, string name) =>
        tensors.FirstOrDefault(t => t.Name == name)?.Values ?? throw new InputException($"checkpoint: no tensor '{name}'");
}
