using System.Diagnostics;
using System.Numerics.Tensors;
using ILGPU;
using ILGPU.Runtime;
using Rollout.Kernels.Runtime;

namespace Rollout.Kernels.Bench.Roofline;

/// <summary>
/// The memory bandwidth each backend can reach, measured in the same run as the kernels, STREAM's way: arrays far
/// larger than the caches, the best of the timed trials after a warm one; at least <see cref="Trials"/> of them over
/// at least <see cref="Span"/>, so that a moment when other work holds the cores does not set the roof. The managed backend's
/// memory is host memory, so its streams are a copy and a triad (a = b + s·c) on the host, over every core as the
/// managed kernels run; on CUDA a device-to-device copy.
/// </summary>
public static class MemoryBandwidth
{
    private const int Trials = 10;
    private static readonly TimeSpan Span = TimeSpan.FromSeconds(3);

    /// <summary>Floats per host array: 128 MiB, many times any last-level cache.</summary>
    private const int HostLength = 1 << 25;

    /// <summary>Floats per device buffer: 256 MiB, many times a GPU's L2.</summary>
    private const int DeviceLength = 1 << 26;

    /// <summary>Floats per parallel chunk of the host streams.</summary>
    private const int Chunk = 1 << 20;

    public static IReadOnlyList<StreamRate> Measure(AcceleratorKind backend) => backend switch
    {
        AcceleratorKind.Cuda => [DeviceCopy()],
        _ => HostStreams(),
    };

    private static IReadOnlyList<StreamRate> HostStreams()
    {
        var a = new float[HostLength];
        var b = new float[HostLength];
        var c = new float[HostLength];
        Array.Fill(b, 1f); // touches the pages before any trial
        Array.Fill(c, 2f);
        Array.Fill(a, 0f);
        const float scalar = 3f;
        return
        [
            Best("host copy (a = c)", 2L * HostLength * sizeof(float),
                () => Parallel.For(0, HostLength / Chunk, i => c.AsSpan(i * Chunk, Chunk).CopyTo(a.AsSpan(i * Chunk, Chunk)))),
            Best("host triad (a = b + s·c)", 3L * HostLength * sizeof(float),
                () => Parallel.For(0, HostLength / Chunk, i =>
                    TensorPrimitives.MultiplyAdd(c.AsSpan(i * Chunk, Chunk), scalar, b.AsSpan(i * Chunk, Chunk), a.AsSpan(i * Chunk, Chunk)))),
        ];
    }

    private static StreamRate DeviceCopy()
    {
        using var host = AcceleratorHost.Create(AcceleratorKind.Cuda);
        using var source = host.Accelerator.Allocate1D<float>(DeviceLength);
        using var target = host.Accelerator.Allocate1D<float>(DeviceLength);
        source.MemSetToZero();
        return Best("device-to-device copy", 2L * DeviceLength * sizeof(float), () =>
        {
            source.View.CopyTo(target.View);
            host.Accelerator.Synchronize();
        });
    }

    private static StreamRate Best(string name, long bytes, Action trial)
    {
        trial();
        double best = double.PositiveInfinity;
        var total = Stopwatch.StartNew();
        int trials = 0;
        for (; trials < Trials || total.Elapsed < Span; trials++)
        {
            var clock = Stopwatch.StartNew();
            trial();
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        return new StreamRate(name, bytes, best, trials);
    }
}
