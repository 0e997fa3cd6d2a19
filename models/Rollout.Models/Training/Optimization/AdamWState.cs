using System.Numerics;

namespace Rollout.Models.Training.Optimization;

/// <summary>What <see cref="AdamW{T}"/> carries from step to step: the step count and each parameter's first and second moments, in parameter order.</summary>
public sealed record AdamWState<T>(int Step, T[][] FirstMoments, T[][] SecondMoments) where T : unmanaged, IFloatingPointIeee754<T>;
