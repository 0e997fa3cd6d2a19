using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Rollout.Interop.Memory;

/// <summary>
/// Where a session's large tensors (its KV cache) live, and what the engine does with them besides running the
/// session: allocate, copy byte ranges between them, zero a range. Host memory (<see cref="Host"/>), or one CUDA
/// device (<see cref="CudaTensorMemory"/>), so a CUDA session's cache never visits the host.
/// </summary>
public abstract class TensorMemory
{
    /// <summary>Host memory, ONNX Runtime's default CPU allocator.</summary>
    public static TensorMemory Host { get; } = new HostTensorMemory();

    /// <summary>Where ONNX Runtime is to put outputs that should live here.</summary>
    public abstract OrtMemoryInfo Location { get; }

    public abstract OrtValue Allocate(TensorElementType type, long[] shape);

    /// <summary>Copies <paramref name="bytes"/> bytes; queued where the memory has queues, so call <see cref="Complete"/> before the tensors are read or run.</summary>
    public abstract void Copy(OrtValue source, long sourceOffset, OrtValue target, long targetOffset, long bytes);

    /// <summary>Zeroes <paramref name="bytes"/> bytes; queued like <see cref="Copy"/>.</summary>
    public abstract void Zero(OrtValue target, long offset, long bytes);

    /// <summary>Waits for the copies and zeroing queued so far.</summary>
    public virtual void Complete() { }

    private sealed class HostTensorMemory : TensorMemory
    {
        public override OrtMemoryInfo Location => OrtMemoryInfo.DefaultInstance;

        public override OrtValue Allocate(TensorElementType type, long[] shape) =>
            OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, type, shape);

        public override void Copy(OrtValue source, long sourceOffset, OrtValue target, long targetOffset, long bytes) =>
            source.GetTensorMutableRawData().Slice(checked((int)sourceOffset), checked((int)bytes))
                .CopyTo(target.GetTensorMutableRawData().Slice(checked((int)targetOffset), checked((int)bytes)));

        public override void Zero(OrtValue target, long offset, long bytes) =>
            target.GetTensorMutableRawData().Slice(checked((int)offset), checked((int)bytes)).Clear();
    }
}
