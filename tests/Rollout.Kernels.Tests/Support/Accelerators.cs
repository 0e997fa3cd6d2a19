using Rollout.Kernels.Runtime;

[assembly: AssemblyFixture(typeof(Rollout.Kernels.Tests.Support.Accelerators))]
// The tests share one host per accelerator; running them one at a time keeps launches on a host ordered.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Rollout.Kernels.Tests.Support;

/// <summary>One <see cref="AcceleratorHost"/> per available accelerator kind, opened on first use and shared by all tests.</summary>
public sealed class Accelerators : IDisposable
{
    private readonly Dictionary<AcceleratorKind, AcceleratorHost> hosts = [];

    /// <summary>Every accelerator on this machine (the CPU always, CUDA when present): the data of each kernel theory.</summary>
    public static TheoryData<AcceleratorKind> Kinds => new(All);

    public static IReadOnlyList<AcceleratorKind> All => AvailableKinds.Value;

    private static readonly Lazy<IReadOnlyList<AcceleratorKind>> AvailableKinds = new(AcceleratorHost.Available);

    public AcceleratorHost Get(AcceleratorKind kind)
    {
        lock (hosts)
        {
            if (!hosts.TryGetValue(kind, out var host)) hosts[kind] = host = AcceleratorHost.Create(kind);
            return host;
        }
    }

    public void Dispose()
    {
        foreach (var host in hosts.Values) host.Dispose();
    }
}
