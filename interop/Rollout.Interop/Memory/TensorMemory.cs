using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Rollout.Interop.Memory;

/// <summary><see cref="Bytes"/> bytes at offset <see cref="From"/> of one tensor, going to offset <see cref="To"/> of another.</summary>
public readonly record struct ByteRange(long From, long To, long Bytes);

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

    /// <summary>
    /// Copies byte ranges from <paramref name="source"/> to <paramref name="target"/>; queued where the memory has
    /// queues, so call <see cref="Complete"/> before the tensors are read or run. One call per pair of tensors: finding
    /// a tensor's memory is a native call, worth making once, not per range.
    /// </summary>
    public abstract void Copy(OrtValue source, OrtValue target, ReadOnlySpan<ByteRange> ranges);

    /// <summary>Zeroes byte ranges of <paramref name="target"/> (<see cref="ByteRange.From"/> unused); queued like <see cref="Copy"/>.</summary>
    public abstract void Zero(OrtValue target, ReadOnlySpan<ByteRange> ranges);

    /// <summary>Waits for the copies and zeroing queued so far.</summary>
    public virtual void Complete() { }

    /// <summary>
    /// A tensor over the first elements of <paramref name="whole"/>'s memory, shaped <paramref name="shape"/> (a
    /// leading slice: fewer rows of the same row shape); no copy. It does not own the memory: <paramref name="whole"/>
    /// must outlive it.
    /// </summary>
    public static OrtValue Prefix(OrtValue whole, long[] shape)
    {
        var info = whole.GetTensorTypeAndShape();
        long count = shape.Aggregate(1L, (a, d) => a * d);
        if (count > info.ElementCount) throw new ArgumentException($"a prefix of {count} elements of a tensor of {info.ElementCount}", nameof(shape));
        long bytes = info.ElementCount == 0 ? 0 : whole.GetTensorMutableRawData().Length / info.ElementCount * count;
        return OrtValue.CreateTensorValueWithData(whole.GetTensorMemoryInfo(), info.ElementDataType, shape, Address(whole), bytes);
    }

    /// <summary>Where a tensor's data starts. The span over device memory only carries the address: never read through it.</summary>
    internal static unsafe IntPtr Address(OrtValue value) =>
        (IntPtr)Unsafe.AsPointer(ref MemoryMarshal.GetReference(value.GetTensorMutableRawData()));

    private sealed class HostTensorMemory : TensorMemory
    {
        public override OrtMemoryInfo Location => OrtMemoryInfo.DefaultInstance;

        public override OrtValue Allocate(TensorElementType type, long[] shape) =>
            OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, type, shape);

        public override void Copy(OrtValue source, OrtValue target, ReadOnlySpan<ByteRange> ranges)
        {
            Span<byte> from = source.GetTensorMutableRawData(), to = target.GetTensorMutableRawData();
            foreach (var r in ranges) from.Slice(checked((int)r.From), checked((int)r.Bytes)).CopyTo(to.Slice(checked((int)r.To), checked((int)r.Bytes)));
        }

        public override void Zero(OrtValue target, ReadOnlySpan<ByteRange> ranges)
        {
            var to = target.GetTensorMutableRawData();
            foreach (var r in ranges) to.Slice(checked((int)r.To), checked((int)r.Bytes)).Clear();
        }
    }
}
