using BenchmarkDotNet.Attributes;
using ILGPU;
using ILGPU.Runtime;
using Rollout.Kernels.Runtime;

namespace Rollout.Kernels.Bench;

/// <summary>
/// What every kernel family's benchmarks share: the backend parameter, one <see cref="AcceleratorHost"/> per
/// benchmark case, seeded inputs in its memory, and their disposal. A benchmark calls its op and then
/// <see cref="Synchronize"/>, so each call is timed with its host synchronisation, as the engine calls it.
/// </summary>
public abstract class KernelBenchmark
{
    private readonly List<IDisposable> buffers = [];
    private Random random = new(1);
    private AcceleratorHost? host;

    /// <summary>
    /// The managed SIMD backend always, CUDA when a device is present. ILGPU's CPU accelerator is left out: it simulates
    /// a GPU's groups thread by thread and takes seconds a call at these sizes (the kernel tests cover it).
    /// </summary>
    public static IEnumerable<AcceleratorKind> Backends() =>
        AcceleratorHost.Available().Where(kind => kind != AcceleratorKind.Cpu);

    [ParamsSource(nameof(Backends))]
    public AcceleratorKind Backend { get; set; }

    protected AcceleratorHost Host => host ?? throw new InvalidOperationException("The benchmark has not been set up.");

    /// <summary>The inputs' generator, seeded afresh for each benchmark case, so every case of a family sees the same inputs.</summary>
    protected Random Random => random;

    [GlobalSetup]
    public void Setup()
    {
        host = AcceleratorHost.Create(Backend);
        random = new Random(1);
        Allocate();
        Synchronize();
    }

    /// <summary>Allocates the family's inputs and outputs (with <see cref="Uniform"/>, <see cref="Zeros"/>, <see cref="Upload"/>).</summary>
    protected abstract void Allocate();

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var buffer in buffers) buffer.Dispose();
        buffers.Clear();
        host?.Dispose();
        host = null;
    }

    protected void Synchronize() => Host.Accelerator.Synchronize();

    /// <summary>Values uniform in [−scale/2, scale/2).</summary>
    protected ArrayView<float> Uniform(long count, float scale)
    {
        var values = new float[count];
        for (long i = 0; i < count; i++) values[i] = scale * (random.NextSingle() - 0.5f);
        return Upload(values);
    }

    /// <summary>Integers uniform in [0, below).</summary>
    protected ArrayView<int> Integers(long count, int below)
    {
        var values = new int[count];
        for (long i = 0; i < count; i++) values[i] = random.Next(below);
        return Upload(values);
    }

    protected ArrayView<T> Zeros<T>(long count) where T : unmanaged
    {
        var buffer = Keep(Host.Accelerator.Allocate1D<T>(count));
        buffer.MemSetToZero();
        return buffer.View;
    }

    protected ArrayView<T> Upload<T>(T[] values) where T : unmanaged => Keep(Host.Accelerator.Allocate1D(values)).View;

    private MemoryBuffer1D<T, Stride1D.Dense> Keep<T>(MemoryBuffer1D<T, Stride1D.Dense> buffer) where T : unmanaged
    {
        buffers.Add(buffer);
        return buffer;
    }
}
