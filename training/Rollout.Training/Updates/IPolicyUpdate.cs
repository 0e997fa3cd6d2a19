using Rollout.Engine;
using Rollout.Engine.Generation;

namespace Rollout.Training.Updates;

/// <summary>
/// A policy being trained and its update step: what sampling from it needs, one step on scored rollouts, its state
/// for a checkpoint, and the policy as a standard model folder.
/// </summary>
public interface IPolicyUpdate : IDisposable
{
    /// <summary>The L2T settings to sample the current policy with (the core step sets its M there).</summary>
    L2TGeneration Sampling(L2TGeneration settings);

    /// <summary>One step on the rollouts (their tokens, step features and advantages) sampled at <paramref name="temperature"/>; returns ‖Δθ‖₂.</summary>
    double Step(IReadOnlyList<RolloutResult> rollouts, double temperature);

    /// <summary>Steps taken.</summary>
    int Steps { get; }

    /// <summary>Everything a resumed run needs to continue bit for bit: parameters and optimizer moments, by name.</summary>
    IReadOnlyList<NamedTensor> State();

    /// <summary>Writes the current policy as a model folder that <c>generate</c>, <c>eval</c> and <c>score</c> open like any other.</summary>
    void WritePolicy(string folder);
}

/// <summary>A named float32 array of a checkpoint.</summary>
public sealed record NamedTensor(string Name, float[] Values);
