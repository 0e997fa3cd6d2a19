using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace Rollout.Interop.Tests.Support;

/// <summary>Addresses of tensor data, to show which memory a tensor or span is over (never dereferenced).</summary>
internal static unsafe class Pointers
{
    public static IntPtr Of(OrtValue value) => (IntPtr)Unsafe.AsPointer(ref MemoryMarshal.GetReference(value.GetTensorMutableRawData()));

    public static IntPtr Of(ReadOnlySpan<float> span) => (IntPtr)Unsafe.AsPointer(ref MemoryMarshal.GetReference(span));
}
