using Rollout.Kernels.Runtime;
using Rollout.Kernels.Step;

namespace Rollout.Kernels.Tests.Runtime;

public sealed class AcceleratorHostTests
{
    [Fact]
    public void DefaultChoiceIsCudaWhenPresentElseManaged()
    {
        using var host = AcceleratorHost.Create();
        var expected = AcceleratorHost.Available().Contains(AcceleratorKind.Cuda) ? AcceleratorKind.Cuda : AcceleratorKind.Managed;
        Assert.Equal(expected, host.Kind);
        Assert.True(host.GroupSize > 0 && (host.GroupSize & (host.GroupSize - 1)) == 0, $"group size {host.GroupSize}");
    }

    [Fact]
    public void ManagedAndTheCpuAcceleratorAreAlwaysAvailable()
    {
        Assert.Equal([AcceleratorKind.Managed, AcceleratorKind.Cpu], AcceleratorHost.Available().Take(2));
        using var host = AcceleratorHost.Create(AcceleratorKind.Managed);
        Assert.Equal(AcceleratorType.CPU, host.Accelerator.AcceleratorType); // its buffers are host memory
    }

    [Fact]
    public void AskingForAbsentCudaFailsClearly()
    {
        if (AcceleratorHost.Available().Contains(AcceleratorKind.Cuda)) return; // nothing to check where CUDA exists
        var error = Assert.Throws<InvalidOperationException>(() => AcceleratorHost.Create(AcceleratorKind.Cuda));
        Assert.Contains("CUDA", error.Message);
    }

    [Fact]
    public void TheManagedBackendRefusesDeviceMemory()
    {
        Assert.SkipUnless(AcceleratorHost.Available().Contains(AcceleratorKind.Cuda), "no CUDA device");
        using var managed = AcceleratorHost.Create(AcceleratorKind.Managed);
        using var cuda = AcceleratorHost.Create(AcceleratorKind.Cuda);
        using var hidden = cuda.Accelerator.Allocate1D<float>(2 * 3);
        using var basis = managed.Accelerator.Allocate1D<float>(3);
        using var v = managed.Accelerator.Allocate1D<float>(2);
        var error = Assert.Throws<ArgumentException>(() => HiddenProjection.Run(managed, hidden.View, basis.View, v.View, 3, 1));
        Assert.Contains("Cuda memory", error.Message);
    }
}
