using System.Runtime.InteropServices;
using Rollout.Interop.Cuda;
using Rollout.Interop.Tests.Support;
using Rollout.Kernels.Runtime;

namespace Rollout.Interop.Tests.Cuda;

/// <summary>
/// Without a driver (here): clear refusals. With one (the GPU check): the shim's answers about ILGPU's own
/// context, buffers and stream, which ILGPU knows independently.
/// </summary>
public sealed class CudaDriverTests(Hosts hosts)
{
    private static bool DriverPresent => NativeLibrary.TryLoad("libcuda.so.1", out _);

    [Fact]
    public void Without_a_driver_every_call_says_the_driver_is_missing()
    {
        Assert.SkipWhen(DriverPresent, "a CUDA driver is present");
        var e = Assert.Throws<CudaUnavailableException>(CudaDriver.Initialize);
        Assert.Contains("libcuda.so.1", e.Message);
        Assert.Throws<CudaUnavailableException>(() => CudaDriver.CurrentContext());
        Assert.Throws<CudaUnavailableException>(() => CudaDriver.SynchronizeStream(IntPtr.Zero));
    }

    [Fact]
    public void A_shared_context_needs_the_cuda_accelerator()
    {
        var e = Assert.Throws<ArgumentException>(() => SharedCudaContext.Create(hosts.Get(AcceleratorKind.Cpu)));
        Assert.Contains("needs ILGPU's CUDA accelerator", e.Message);
    }

    [Fact]
    public void The_driver_reports_ilgpus_context_for_its_buffers_and_syncs_the_shared_stream()
    {
        Assert.SkipUnless(AcceleratorHost.Available().Contains(AcceleratorKind.Cuda), "no CUDA device");
        var host = hosts.Get(AcceleratorKind.Cuda);
        var shared = hosts.SharedCuda;
        Assert.Equal(host.Accelerator.NativePtr, shared.Context);
        Assert.NotEqual(IntPtr.Zero, shared.Stream);

        shared.MakeCurrent();
        Assert.Equal(shared.Context, CudaDriver.CurrentContext());
        using var buffer = host.Accelerator.Allocate1D<float>(1024);
        Assert.Equal(shared.Context, CudaDriver.ContextOf(buffer.NativePtr));
        shared.Synchronize();

        var e = Assert.Throws<CudaDriverException>(() => CudaDriver.ContextOf(new IntPtr(16)));
        Assert.Equal("cuPointerGetAttribute(CONTEXT)", e.Call);
    }
}
