using System.Runtime.InteropServices;
using Rollout.Kernels.Runtime;

namespace Rollout.Kernels.Bench.Roofline;

/// <summary>What the results file says about the machine, and the kind its name carries: the GPU when one is present, else the CPU's cores.</summary>
public sealed record Machine(string Cpu, string? Cache, int Cores, string Runtime, string? Gpu)
{
    public string Kind => Gpu is null
        ? $"cpu-{Cores}core"
        : Gpu.Replace("NVIDIA", "", StringComparison.OrdinalIgnoreCase).Trim().Split(' ')[0].ToLowerInvariant();

    public static Machine Describe(IEnumerable<AcceleratorKind> backends)
    {
        string? gpu = null;
        if (backends.Contains(AcceleratorKind.Cuda))
        {
            using var host = AcceleratorHost.Create(AcceleratorKind.Cuda);
            gpu = host.Accelerator.Name;
        }
        return new Machine(CpuInfo("model name") ?? RuntimeInformation.ProcessArchitecture.ToString(), CpuInfo("cache size"),
            Environment.ProcessorCount, RuntimeInformation.FrameworkDescription, gpu);
    }

    /// <summary>The first core's <paramref name="field"/> in /proc/cpuinfo, or null where there is none.</summary>
    private static string? CpuInfo(string field)
    {
        const string cpuInfo = "/proc/cpuinfo";
        var line = File.Exists(cpuInfo)
            ? File.ReadLines(cpuInfo).FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal))
            : null;
        return line?.Split(':', 2)[1].Trim();
    }
}
