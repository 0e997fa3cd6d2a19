using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Rollout.Interop.Cuda;

namespace Rollout.Interop.Memory;

/// <summary>
/// A CUDA session's device memory: tensors from the session's own CUDA allocator (in ONNX Runtime's context), copies
/// and zeroing queued on that context's default stream and waited for once per batch of them (<see cref="Complete"/>).
/// ONNX Runtime's runs finish before they return, so queued work never overlaps a run.
/// </summary>
public sealed class CudaTensorMemory(InferenceSession session, int deviceId) : TensorMemory, IDisposable
{
    private readonly OrtMemoryInfo _location = new("Cuda", OrtAllocatorType.DeviceAllocator, deviceId, OrtMemType.Default);
    private OrtAllocator? _allocator;
    /// <summary>ONNX Runtime's context, learnt from the first tensor touched; work is queued there.</summary>
    private IntPtr _context;

    public override OrtMemoryInfo Location => _location;

    public override OrtValue Allocate(TensorElementType type, long[] shape)
    {
        _allocator ??= new OrtAllocator(session, _location);
        return OrtValue.CreateAllocatedTensorValue(_allocator, type, shape);
    }

    public override void Copy(OrtValue source, OrtValue target, ReadOnlySpan<ByteRange> ranges)
    {
        IntPtr from = Address(source), to = Address(target);
        var copies = ranges.ToArray();
        InContext(from, () =>
        {
            foreach (var r in copies)
                if (r.Bytes > 0) CudaDriver.CopyAsync(to + (nint)r.To, from + (nint)r.From, r.Bytes);
        });
    }

    public override void Zero(OrtValue target, ReadOnlySpan<ByteRange> ranges)
    {
        var to = Address(target);
        var zeroes = ranges.ToArray();
        InContext(to, () =>
        {
            foreach (var r in zeroes)
                if (r.Bytes > 0) CudaDriver.ZeroAsync(to + (nint)r.To, r.Bytes);
        });
    }

    public override void Complete()
    {
        if (_context != IntPtr.Zero) InContext(IntPtr.Zero, CudaDriver.SynchronizeContext);
    }

    public void Dispose()
    {
        _allocator?.Dispose();
        _location.Dispose();
    }

    /// <summary>Runs <paramref name="work"/> with ONNX Runtime's context current, then puts back whatever was current (ILGPU's, say).</summary>
    private void InContext(IntPtr pointer, Action work)
    {
        if (_context == IntPtr.Zero) _context = CudaDriver.ContextOf(pointer);
        var previous = CudaDriver.CurrentContext();
        CudaDriver.SetCurrentContext(_context);
        try { work(); }
        finally { CudaDriver.SetCurrentContext(previous); }
    }
}
