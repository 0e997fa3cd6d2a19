using System.Runtime.InteropServices;

namespace Rollout.Interop.Cuda;

/// <summary>
/// The few CUDA driver calls between ONNX Runtime and ILGPU: their contexts, and copies from one to the other.
/// The handles are ILGPU's (context, stream) or ONNX Runtime's (device pointers), so nothing here owns or frees one. Every call
/// loads and initializes the driver once and checks its result in <see cref="Check"/>.
/// </summary>
public static class CudaDriver
{
    private static readonly Lazy<bool> Initialized = new(InitializeOnce);

    /// <summary>Loads libcuda.so.1 and runs cuInit, once: later calls return, or throw the first call's exception again.</summary>
    /// <exception cref="CudaUnavailableException">No driver library, or cuInit failed (no device, driver too old).</exception>
    public static void Initialize() => _ = Initialized.Value;

    /// <summary>The context current on the calling thread (zero when none is).</summary>
    public static IntPtr CurrentContext()
    {
        Initialize();
        Check(NativeMethods.cuCtxGetCurrent(out var context), "cuCtxGetCurrent");
        return context;
    }

    public static void SetCurrentContext(IntPtr context)
    {
        Initialize();
        Check(NativeMethods.cuCtxSetCurrent(context), "cuCtxSetCurrent");
    }

    /// <summary>The context <paramref name="devicePointer"/> was allocated in (cuPointerGetAttribute, CU_POINTER_ATTRIBUTE_CONTEXT).</summary>
    public static IntPtr ContextOf(IntPtr devicePointer)
    {
        Initialize();
        Check(NativeMethods.cuPointerGetAttribute(out var context, NativeMethods.PointerAttributeContext, (ulong)devicePointer),
            "cuPointerGetAttribute(CONTEXT)");
        return context;
    }

    /// <summary>
    /// Copies device memory allocated in one context into memory of another (on one device, a device-to-device
    /// copy). Ordered after the work already queued in both contexts and before what is queued later.
    /// </summary>
    public static void CopyPeer(IntPtr destination, IntPtr destinationContext, IntPtr source, IntPtr sourceContext, long bytes)
    {
        Initialize();
        Check(NativeMethods.cuMemcpyPeer((ulong)destination, destinationContext, (ulong)source, sourceContext, (nuint)bytes), "cuMemcpyPeer");
    }

    /// <summary>Queues a copy between device addresses (unified addressing) on the current context's default stream.</summary>
    public static void CopyAsync(IntPtr destination, IntPtr source, long bytes)
    {
        Initialize();
        Check(NativeMethods.cuMemcpyAsync((ulong)destination, (ulong)source, (nuint)bytes, IntPtr.Zero), "cuMemcpyAsync");
    }

    /// <summary>Queues zeroing <paramref name="bytes"/> bytes on the current context's default stream.</summary>
    public static void ZeroAsync(IntPtr destination, long bytes)
    {
        Initialize();
        Check(NativeMethods.cuMemsetD8Async((ulong)destination, 0, (nuint)bytes, IntPtr.Zero), "cuMemsetD8Async");
    }

    /// <summary>Waits for all work queued in the current context.</summary>
    public static void SynchronizeContext()
    {
        Initialize();
        Check(NativeMethods.cuCtxSynchronize(), "cuCtxSynchronize");
    }

    public static void SynchronizeStream(IntPtr stream)
    {
        Initialize();
        Check(NativeMethods.cuStreamSynchronize(stream), "cuStreamSynchronize");
    }

    private static bool InitializeOnce()
    {
        if (!NativeLibrary.TryLoad(NativeMethods.Library, out _))
            throw new CudaUnavailableException($"the CUDA driver ({NativeMethods.Library}) is not on the loader path; CUDA interop needs an NVIDIA GPU and its driver");
        var result = NativeMethods.cuInit(0);
        if (result != 0)
            throw new CudaUnavailableException($"cuInit failed with {ErrorName(result)}; CUDA interop needs an NVIDIA GPU the driver can open");
        return true;
    }

    /// <summary>The one place a driver result is checked.</summary>
    private static void Check(int result, string call)
    {
        if (result != 0) throw new CudaDriverException(call, result, ErrorName(result));
    }

    private static string ErrorName(int result) =>
        NativeMethods.cuGetErrorName(result, out var name) == 0 && name != IntPtr.Zero
            ? Marshal.PtrToStringAnsi(name)!
            : $"CUresult {result}";
}
