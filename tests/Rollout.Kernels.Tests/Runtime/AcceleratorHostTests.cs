using Rollout.Kernels.Runtime;

namespace Rollout.Kernels.Tests.Runtime;

public sealed class AcceleratorHostTests
{
    [Fact]
    public void DefaultChoiceIsCudaWhenPresentElseCpu()
    {
        using var host = AcceleratorHost.Create();
        var expected = AcceleratorHost.Available().Contains(AcceleratorKind.Cuda) ? AcceleratorKind.Cuda : AcceleratorKind.Cpu;
        Assert.Equal(expected, host.Kind);
        Assert.True(host.GroupSize > 0 && (host.GroupSize & (host.GroupSize - 1)) == 0, $"group size {host.GroupSize}");
    }

    [Fact]
    public void AskingForAbsentCudaFailsClearly()
    {
        Assert.Contains(AcceleratorKind.Cpu, AcceleratorHost.Available());
        if (AcceleratorHost.Available().Contains(AcceleratorKind.Cuda)) return; // nothing to check where CUDA exists
        var error = Assert.Throws<InvalidOperationException>(() => AcceleratorHost.Create(AcceleratorKind.Cuda));
        Assert.Contains("CUDA", error.Message);
    }
}
