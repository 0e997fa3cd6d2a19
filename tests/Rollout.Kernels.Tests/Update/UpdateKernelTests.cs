using Rollout.Kernels.Runtime;
using Rollout.Kernels.Tests.Support;
using Rollout.Kernels.Update;

namespace Rollout.Kernels.Tests.Update;

public sealed class UpdateKernelTests(Accelerators accelerators)
{
    // Rank: no power of two; on the managed path, a SIMD vector of 8 and a remainder. Tokens: more than one block of 256.
    private const int Rank = 11, Tokens = 301;

    [Theory, MemberData(nameof(Accelerators.Kinds), MemberType = typeof(Accelerators))]
    public void CoreGradientMatchesReference(AcceleratorKind kind)
    {
        var host = accelerators.Get(kind);
        var inputs = new Inputs(41);
        var u = inputs.Normal(Tokens * Rank);
        var v = inputs.Normal(Tokens * Rank);
        var advantages = inputs.Normal(Tokens);
        var fisher = inputs.Uniform(Rank * Rank, 0.1, 3);
        var core = inputs.Normal(Rank * Rank, 10); // large enough that the KL term shows
        using var uBuffer = host.Accelerator.Allocate1D(u);
        using var vBuffer = host.Accelerator.Allocate1D(v);
        using var advantageBuffer = host.Accelerator.Allocate1D(advantages);
        using var fisherBuffer = host.Accelerator.Allocate1D(fisher);
        using var coreBuffer = host.Accelerator.Allocate1D(core);
        using var gradient = Inputs.Poisoned(host.Accelerator, Rank * Rank);

        CoreGradient.Run(host, uBuffer.View, vBuffer.View, advantageBuffer.View, fisherBuffer.View, coreBuffer.View,
            gradient.View, Rank, 0.001f);

        Close.Assert(CoreGradient.Reference(u, v, advantages, fisher, core, Rank, 0.001), gradient.GetAsArray1D(), "grad");
    }

    [Theory, MemberData(nameof(Accelerators.Kinds), MemberType = typeof(Accelerators))]
    public void AdamWMatchesReferenceOverSeveralSteps(AcceleratorKind kind)
    {
        var host = accelerators.Get(kind);
        var inputs = new Inputs(42);
        var options = new AdamWSettings { LearningRate = 0.01 };
        var parameters = inputs.Normal(Rank * Rank);
        var expected = parameters.Select(p => (double)p).ToArray();
        double[] first = new double[expected.Length], second = new double[expected.Length];
        using var parameterBuffer = host.Accelerator.Allocate1D(parameters);
        using var firstBuffer = host.Accelerator.Allocate1D<float>(parameters.Length);
        using var secondBuffer = host.Accelerator.Allocate1D<float>(parameters.Length);
        firstBuffer.MemSetToZero();
        secondBuffer.MemSetToZero();

        for (int step = 1; step <= 3; step++)
        {
            var gradient = inputs.Normal(parameters.Length);
            using var gradientBuffer = host.Accelerator.Allocate1D(gradient);
            AdamW.Run(host, parameterBuffer.View, gradientBuffer.View, firstBuffer.View, secondBuffer.View, step, options);
            AdamW.Reference(expected, gradient, first, second, step, options);
        }

        Close.Assert(expected, parameterBuffer.GetAsArray1D(), "M");
        Close.Assert(second, secondBuffer.GetAsArray1D(), "second moment");
    }

    [Theory, MemberData(nameof(Accelerators.Kinds), MemberType = typeof(Accelerators))]
    public void MismatchedShapesAreRejected(AcceleratorKind kind)
    {
        var host = accelerators.Get(kind);
        using var square = host.Accelerator.Allocate1D<float>(Rank * Rank);
        using var features = host.Accelerator.Allocate1D<float>(Tokens * Rank);
        using var advantages = host.Accelerator.Allocate1D<float>(Tokens - 1);
        Assert.Throws<ArgumentException>(() =>
            CoreGradient.Run(host, features.View, features.View, advantages.View, square.View, square.View, square.View, Rank, 0.001f));
        Assert.Throws<ArgumentException>(() =>
            AdamW.Run(host, square.View, features.View, square.View, square.View, 1, new AdamWSettings()));
        Assert.Throws<ArgumentException>(() =>
            AdamW.Run(host, square.View, square.View, square.View, square.View, 0, new AdamWSettings()));
    }
}
