using Rollout.Interop.Buffers;
using Rollout.Interop.Cuda;
using Rollout.Kernels.Runtime;

[assembly: AssemblyFixture(typeof(Rollout.Interop.Tests.Support.Hosts))]
// Tests share the hosts and the model's session; one at a time keeps each host's work ordered.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Rollout.Interop.Tests.Support;

/// <summary>
/// One <see cref="AcceleratorHost"/> per available accelerator kind (the CPU always, CUDA when present), opened on
/// first use, with the shared CUDA context its CUDA buffers need.
/// </summary>
public sealed class Hosts : IDisposable
{
    private readonly Dictionary<AcceleratorKind, (AcceleratorHost Host, SharedCudaContext? Cuda)> _open = [];

    public static TheoryData<AcceleratorKind> Kinds => new(AcceleratorHost.Available());

    public AcceleratorHost Get(AcceleratorKind kind) => Open(kind).Host;

    /// <summary>The CUDA host's context shared with ONNX Runtime.</summary>
    public SharedCudaContext SharedCuda => Open(AcceleratorKind.Cuda).Cuda!;

    /// <summary>Buffers on <paramref name="kind"/>'s accelerator.</summary>
    public StepOutputBuffers Buffers(AcceleratorKind kind, int maxRows, int maxPositions, int vocabSize, int hiddenSize)
    {
        var (host, cuda) = Open(kind);
        return new StepOutputBuffers(host, maxRows, maxPositions, vocabSize, hiddenSize, cuda?.MemoryInfo);
    }

    private (AcceleratorHost Host, SharedCudaContext? Cuda) Open(AcceleratorKind kind)
    {
        lock (_open)
        {
            if (_open.TryGetValue(kind, out var known)) return known;
            var host = AcceleratorHost.Create(kind);
            return _open[kind] = (host, kind == AcceleratorKind.Cuda ? SharedCudaContext.Create(host) : null);
        }
    }

    public void Dispose()
    {
        foreach (var (host, cuda) in _open.Values)
        {
            cuda?.Dispose();
            host.Dispose();
        }
    }
}
