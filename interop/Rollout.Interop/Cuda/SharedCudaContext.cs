using System.Globalization;
using ILGPU.Runtime.Cuda;
using Microsoft.ML.OnnxRuntime;
using Rollout.Kernels.Runtime;

namespace Rollout.Interop.Cuda;

/// <summary>
/// Puts an ONNX Runtime CUDA session on ILGPU's context and stream, so the session can write logits into
/// ILGPU buffers and ILGPU's kernels can read them without a copy or a host sync.
/// </summary>
/// <remarks>
/// ILGPU creates its own context (not the device's primary one) and ONNX Runtime's CUDA provider uses
/// whatever context is current on the thread that calls it, so: <see cref="MakeCurrent"/> before creating
/// the session and around each run, on the thread that runs it. The provider's compute stream is a
/// blocking stream of ILGPU's context; ILGPU launches its kernels on the legacy default stream, which CUDA
/// orders after all prior work on blocking streams of the same context. The provider may still switch the
/// thread to the primary context (it calls cudaSetDevice), so <see cref="VerifySameContext"/> checks what
/// the session actually allocates in.
/// </remarks>
public sealed class SharedCudaContext : IDisposable
{
    private readonly CudaAccelerator _accelerator;
    private readonly CudaStream _stream;

    private SharedCudaContext(CudaAccelerator accelerator, CudaStream stream)
    {
        _accelerator = accelerator;
        _stream = stream;
        MemoryInfo = new OrtMemoryInfo("Cuda", OrtAllocatorType.DeviceAllocator, accelerator.DeviceId, OrtMemType.Default);
    }

    /// <summary>ILGPU's CUcontext.</summary>
    public IntPtr Context => _accelerator.NativePtr;

    /// <summary>The CUstream ONNX Runtime computes on (<c>user_compute_stream</c>).</summary>
    public IntPtr Stream => _stream.StreamPtr;

    public int DeviceId => _accelerator.DeviceId;

    /// <summary>ONNX Runtime's description of this device's memory, for tensors over ILGPU's CUDA buffers.</summary>
    public OrtMemoryInfo MemoryInfo { get; }

    /// <exception cref="ArgumentException"><paramref name="host"/> runs on the CPU.</exception>
    /// <exception cref="CudaUnavailableException">No CUDA driver or device.</exception>
    public static SharedCudaContext Create(AcceleratorHost host)
    {
        if (host.Accelerator is not CudaAccelerator cuda)
            throw new ArgumentException($"a shared CUDA context needs ILGPU's CUDA accelerator; this host runs on {host.Kind}", nameof(host));
        CudaDriver.Initialize();
        return new SharedCudaContext(cuda, (CudaStream)cuda.CreateStream(StreamFlags.CU_STREAM_DEFAULT));
    }

    /// <summary>Makes ILGPU's context current on the calling thread.</summary>
    public void MakeCurrent() => CudaDriver.SetCurrentContext(Context);

    /// <summary>Appends the CUDA provider on ILGPU's device and stream, with ILGPU's context current.</summary>
    /// <exception cref="InvalidOperationException">The provider did not load (CPU-only ONNX Runtime, missing CUDA libraries).</exception>
    public void AppendExecutionProvider(SessionOptions options)
    {
        MakeCurrent();
        try
        {
            using var cudaOptions = new OrtCUDAProviderOptions();
            cudaOptions.UpdateOptions(new Dictionary<string, string>
            {
                ["device_id"] = DeviceId.ToString(CultureInfo.InvariantCulture),
                ["has_user_compute_stream"] = "1",
                ["user_compute_stream"] = ((ulong)Stream).ToString(CultureInfo.InvariantCulture),
            });
            options.AppendExecutionProvider_CUDA(cudaOptions);
        }
        catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
        {
            throw new InvalidOperationException($"the CUDA execution provider did not load ({e.Message.Split('\n')[0].Trim()}); it needs Microsoft.ML.OnnxRuntime.Gpu and the CUDA 13 libraries on LD_LIBRARY_PATH", e);
        }
    }

    /// <summary>Checks that memory the session allocates on the device belongs to ILGPU's context.</summary>
    /// <exception cref="InvalidOperationException">It belongs to another context; bind no ILGPU buffer to this session.</exception>
    public void VerifySameContext(InferenceSession session)
    {
        using var allocator = new OrtAllocator(session, MemoryInfo);
        using var probe = allocator.Allocate(256); // its SafeHandle holds the device address
        var owner = CudaDriver.ContextOf(probe.DangerousGetHandle());
        MakeCurrent();
        if (owner != Context)
            throw new InvalidOperationException(
                $"ONNX Runtime allocates in CUDA context 0x{owner:x}, ILGPU in 0x{Context:x}: the session cannot write into ILGPU's buffers; copy its outputs instead");
    }

    /// <summary>Waits for everything queued on the shared stream.</summary>
    public void Synchronize() => CudaDriver.SynchronizeStream(Stream);

    public void Dispose()
    {
        _stream.Dispose();
        MemoryInfo.Dispose();
    }
}
