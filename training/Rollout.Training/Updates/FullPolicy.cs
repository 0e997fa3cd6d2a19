using Rollout.Engine;
using Rollout.Engine.Generation;
using Rollout.Kernels.Update;

namespace Rollout.Training.Updates;

/// <summary>The policy as every weight of the model, trained by the full step; the engine samples from the new weights after each step.</summary>
public sealed class FullPolicy(RolloutEngine engine, AdamWSettings adamW, (IReadOnlyList<NamedTensor> Tensors, int Steps)? state) : IPolicyUpdate
{
    public int Steps => throw new NotImplementedException();
    public L2TGeneration Sampling(L2TGeneration settings) => settings;
    public double Step(IReadOnlyList<RolloutResult> rollouts, double temperature) => throw new NotImplementedException();
    public IReadOnlyList<NamedTensor> State() => throw new NotImplementedException();
    public void WritePolicy(string folder) => throw new NotImplementedException();
    public void Dispose() { }
}
