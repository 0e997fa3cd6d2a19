using ILGPU;
using ILGPU.Runtime;
using Rollout.Engine.Generation;
using Rollout.Kernels.Episode;
using Rollout.Kernels.Runtime;
using Rollout.Kernels.Svd;
using Rollout.Kernels.Update;

namespace Rollout.Training.Updates;

/// <summary>
/// The lightweight update (spec §6): one on-policy step on the head core M from step features alone,
/// grad = −(1/N) Σ_t A_t u_t v_tᵀ + β_KL (F ⊙ M), then AdamW. Each step hands back a new, immutable
/// <see cref="HeadCore"/>; the engine applies it from the next decode step on, with no new session.
/// </summary>
public sealed class CoreUpdate
{
    private readonly AcceleratorHost _host;
    private readonly CoreUpdateSettings _settings;

    /// <summary>The policy's core M after <see cref="Steps"/> steps.</summary>
    public HeadCore Core { get; private set; }

    /// <summary>AdamW's state: both moments (r², row-major) and the number of steps taken.</summary>
    public float[] FirstMoment { get; }
    public float[] SecondMoment { get; }
    public int Steps { get; private set; }

    public CoreUpdate(AcceleratorHost host, int rank, CoreUpdateSettings settings)
        : this(host, settings, HeadCore.Zero(rank), new float[rank * rank], new float[rank * rank], 0) { }

    /// <summary>Continues from a saved state (a checkpoint).</summary>
    public CoreUpdate(AcceleratorHost host, CoreUpdateSettings settings, HeadCore core, float[] firstMoment, float[] secondMoment, int steps)
    {
        int entries = core.Rank * core.Rank;
        if (firstMoment.Length != entries || secondMoment.Length != entries)
            throw new ArgumentException($"AdamW moments need {entries} entries each; got {firstMoment.Length} and {secondMoment.Length}.");
        _host = host;
        _settings = settings;
        Core = core;
        FirstMoment = firstMoment;
        SecondMoment = secondMoment;
        Steps = steps;
    }

    /// <summary>One step on every token of <paramref name="rollouts"/> (each with step features and a score); returns ‖ΔM‖_F.</summary>
    public double Step(IReadOnlyList<RolloutResult> rollouts)
    {
        var batch = UpdateBatch.Of(rollouts, Core.Rank);
        if (batch.Tokens == 0) return 0;
        int rank = Core.Rank, entries = rank * rank;
        var accelerator = _host.Accelerator;
        using var u = accelerator.Allocate1D(batch.U);
        using var v = accelerator.Allocate1D(batch.V);
        using var advantages = accelerator.Allocate1D(batch.Advantages);
        using var fisher = accelerator.Allocate1D<float>(entries);
        using var core = accelerator.Allocate1D(Core.ToArray());
        using var gradient = accelerator.Allocate1D<float>(entries);
        using var first = accelerator.Allocate1D(FirstMoment);
        using var second = accelerator.Allocate1D(SecondMoment);
        DiagonalFisher.Run(_host, u.View, v.View, [new IndexRange(0, batch.Tokens)], fisher.View, rank, (float)_settings.FisherDamping);
        CoreGradient.Run(_host, u.View, v.View, advantages.View, fisher.View, core.View, gradient.View, rank, (float)_settings.KlWeight);
        AdamW.Run(_host, core.View, gradient.View, first.View, second.View, Steps + 1, _settings.AdamW);

        var updated = core.GetAsArray1D();
        first.CopyToCPU(FirstMoment);
        second.CopyToCPU(SecondMoment);
        double change = 0;
        for (int i = 0; i < entries; i++) change += Math.Pow(updated[i] - Core.Values[i], 2);
        Core = new HeadCore(rank, updated);
        Steps++;
        return Math.Sqrt(change);
    }

    /// <summary>
    /// Float64 reference of <see cref="Step"/> from the same inputs: the new M and moments (Fisher, gradient and AdamW
    /// through the kernels' float64 references).
    /// </summary>
    public static (double[] Core, double[] FirstMoment, double[] SecondMoment) Reference(IReadOnlyList<RolloutResult> rollouts,
        HeadCore core, float[] firstMoment, float[] secondMoment, int steps, CoreUpdateSettings settings)
    {
        var batch = UpdateBatch.Of(rollouts, core.Rank);
        var fisher = DiagonalFisher.Reference(batch.U, batch.V, [new IndexRange(0, batch.Tokens)], core.Rank, settings.FisherDamping);
        var gradient = CoreGradient.Reference(batch.U, batch.V, batch.Advantages, [.. fisher.Select(f => (float)f)], core.ToArray(),
            core.Rank, settings.KlWeight);
        double[] parameters = [.. core.ToArray().Select(x => (double)x)];
        double[] first = [.. firstMoment.Select(x => (double)x)], second = [.. secondMoment.Select(x => (double)x)];
        AdamW.Reference(parameters, [.. gradient.Select(g => (float)g)], first, second, steps + 1, settings.AdamW);
        return (parameters, first, second);
    }
}
