using System.Runtime.InteropServices;

namespace Rollout.Interop.Cuda;

/// <summary>
/// Every CUDA driver entry point the interop calls: plain declarations returning the raw CUresult,
/// checked only by <see cref="CudaDriver"/>.
/// </summary>
internal static partial class NativeMethods
{
    internal const string Library = "libcuda.so.1";

    /// <summary>CU_POINTER_ATTRIBUTE_CONTEXT: the CUcontext a device pointer was allocated in.</summary>
    internal const int PointerAttributeContext = 1;

    [LibraryImport(Library)]
    internal static partial int cuInit(uint flags);

    [LibraryImport(Library)]
    internal static partial int cuCtxGetCurrent(out IntPtr context);

    [LibraryImport(Library)]
    internal static partial int cuCtxSetCurrent(IntPtr context);

    [LibraryImport(Library)]
    internal static partial int cuPointerGetAttribute(out IntPtr data, int attribute, ulong devicePointer);

    [LibraryImport(Library)]
    internal static partial int cuStreamSynchronize(IntPtr stream);

    [LibraryImport(Library)]
    internal static partial int cuMemcpyAsync(ulong destination, ulong source, nuint bytes, IntPtr stream);

    [LibraryImport(Library)]
    internal static partial int cuMemsetD8Async(ulong destination, byte value, nuint count, IntPtr stream);

    [LibraryImport(Library)]
    internal static partial int cuCtxSynchronize();

    [LibraryImport(Library)]
    internal static partial int cuMemcpyPeer(ulong destination, IntPtr destinationContext, ulong source, IntPtr sourceContext, nuint bytes);

    [LibraryImport(Library)]
    internal static partial int cuGetErrorName(int result, out IntPtr name);
}
