using ILGPU;
using ILGPU.Runtime;

namespace Rollout.Kernels.Runtime;

/// <summary>
/// A view's elements in host memory, for the managed backend: the memory of ILGPU's CPU accelerator is host memory,
/// so the ops read and write it in place. Unlike a span it can be captured by the bodies of parallel loops.
/// Valid while the view's buffer lives.
/// </summary>
internal readonly unsafe struct HostView<T> where T : unmanaged
{
    private readonly T* start;

    public HostView(ArrayView<T> view)
    {
        Length = checked((int)view.Length);
        if (Length == 0) return;
        var memory = BufferOf(view).AcceleratorType;
        if (memory != AcceleratorType.CPU)
            throw new ArgumentException($"A view in {memory} memory reached the managed backend, which reads host memory only.");
        start = (T*)view.LoadEffectiveAddressAsPtr();
    }

    public int Length { get; }

    public Span<T> Span => new(start, Length);

    // A constrained call through the interface that ArrayView implements explicitly, so the view is not boxed.
    private static MemoryBuffer BufferOf<TView>(TView view) where TView : IArrayView => view.Buffer;
}

internal static class HostViewExtensions
{
    /// <summary>The view in host memory.</summary>
    /// <exception cref="ArgumentException">The view lies in device memory.</exception>
    /// <exception cref="OverflowException">The view holds 2³¹ elements or more.</exception>
    public static HostView<T> OnHost<T>(this ArrayView<T> view) where T : unmanaged => new(view);
}
