using System.Collections.Concurrent;
using System.Reflection;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace Rollout.Kernels.Runtime;

/// <summary>Which backend a <see cref="AcceleratorHost"/> runs the ops on.</summary>
public enum AcceleratorKind
{
    /// <summary>Plain C# on the CPU (SIMD, a few threads) over the memory of ILGPU's CPU accelerator: the production CPU path.</summary>
    Managed,

    /// <summary>The ILGPU kernels on ILGPU's CPU accelerator, which simulates a GPU's groups and barriers: for tests and debugging, far too slow to serve.</summary>
    Cpu,

    /// <summary>The ILGPU kernels on an NVIDIA GPU.</summary>
    Cuda,
}

/// <summary>
/// Owns one ILGPU <see cref="ILGPU.Context"/> and one <see cref="ILGPU.Runtime.Accelerator"/>, and caches the
/// kernels loaded on it (compiling a kernel costs far more than launching it). A <see cref="AcceleratorKind.Managed"/>
/// host opens the CPU accelerator only for its memory: buffers and views stay the API, and each op runs its managed
/// implementation over the views' host memory (see <see cref="Dispatch"/>).
/// </summary>
public sealed class AcceleratorHost : IDisposable
{
    /// <summary>Threads per group for the row reductions on a GPU; the CPU accelerator allows fewer.</summary>
    private const int PreferredGroupSize = 256;

    private readonly ConcurrentDictionary<MethodInfo, Delegate> kernels = new();

    private AcceleratorHost(Context context, Accelerator accelerator, AcceleratorKind kind)
    {
        Context = context;
        Accelerator = accelerator;
        Kind = kind;
        var limit = Math.Min(PreferredGroupSize, accelerator.MaxNumThreadsPerGroup);
        GroupSize = 1 << (31 - int.LeadingZeroCount(limit)); // the tree reductions need a power of two
    }

    public Context Context { get; }
    public Accelerator Accelerator { get; }
    public AcceleratorKind Kind { get; }

    /// <summary>Threads per group of every grouped kernel: a power of two the accelerator allows.</summary>
    public int GroupSize { get; }

    /// <summary>The kinds usable on this machine: <see cref="AcceleratorKind.Managed"/> and <see cref="AcceleratorKind.Cpu"/> always, CUDA when a device and driver are present.</summary>
    public static IReadOnlyList<AcceleratorKind> Available()
    {
        using var context = CreateContext();
        return context.GetCudaDevices().Count > 0
            ? [AcceleratorKind.Managed, AcceleratorKind.Cpu, AcceleratorKind.Cuda]
            : [AcceleratorKind.Managed, AcceleratorKind.Cpu];
    }

    /// <summary>Opens a host: the kind asked for, or CUDA when present and <see cref="AcceleratorKind.Managed"/> otherwise.</summary>
    /// <exception cref="InvalidOperationException">CUDA was asked for and no CUDA device is present.</exception>
    public static AcceleratorHost Create(AcceleratorKind? kind = null)
    {
        var context = CreateContext();
        try
        {
            var hasCuda = context.GetCudaDevices().Count > 0;
            var chosen = kind ?? (hasCuda ? AcceleratorKind.Cuda : AcceleratorKind.Managed);
            if (chosen == AcceleratorKind.Cuda && !hasCuda)
                throw new InvalidOperationException("CUDA accelerator requested, but no CUDA device is present.");
            Accelerator accelerator = chosen == AcceleratorKind.Cuda
                ? context.CreateCudaAccelerator(0)
                : context.CreateCPUAccelerator(0);
            return new AcceleratorHost(context, accelerator, chosen);
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Runs an op on this host's backend: <paramref name="managed"/> (plain C# over the views' host memory) on a
    /// <see cref="AcceleratorKind.Managed"/> host, <paramref name="kernel"/> (the ILGPU launch) on any other.
    /// </summary>
    internal void Dispatch(Action managed, Action kernel)
    {
        if (Kind == AcceleratorKind.Managed) managed();
        else kernel();
    }

    /// <summary>A launch of <paramref name="groups"/> groups of <see cref="GroupSize"/> threads with the scratch <see cref="GroupReduce"/> needs.</summary>
    internal KernelConfig ReductionLaunch(int groups) =>
        new(groups, GroupSize, SharedMemoryConfig.RequestDynamic<float>(GroupSize));

    /// <summary>
    /// A launch for kernels that use <see cref="GroupReduce"/>'s int and float64 forms: a double takes two 4-byte slots
    /// of scratch per thread. Requested as ints, since the CPU accelerator sizes the view by element count, not bytes.
    /// </summary>
    internal KernelConfig WideReductionLaunch(int groups) =>
        new(groups, GroupSize, SharedMemoryConfig.RequestDynamic<int>(2 * GroupSize));

    /// <summary>A launch of <paramref name="groups"/> groups of <see cref="GroupSize"/> threads, without shared memory.</summary>
    internal KernelConfig GroupLaunch(int groups) => new(groups, GroupSize);

    /// <summary>The kernel that <paramref name="load"/> loads, loaded once per accelerator (keyed by the loader lambda).</summary>
    internal TKernel Kernel<TKernel>(Func<Accelerator, TKernel> load) where TKernel : Delegate =>
        (TKernel)kernels.GetOrAdd(load.Method, _ => load(Accelerator));

    public void Dispose()
    {
        Accelerator.Dispose();
        Context.Dispose();
    }

    // EnableAlgorithms: the PTX backend has no exp/log of its own.
    private static Context CreateContext() =>
        Context.Create(builder => builder.CPU(CPUDeviceKind.Default).Cuda().EnableAlgorithms());
}
