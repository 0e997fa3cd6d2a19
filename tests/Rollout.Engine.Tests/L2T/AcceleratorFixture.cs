using Rollout.Kernels.Runtime;

namespace Rollout.Engine.Tests.L2T;

/// <summary>One accelerator (CUDA when present, else the CPU) shared by a test class, so kernels compile once.</summary>
public sealed class AcceleratorFixture : IDisposable
{
    public AcceleratorHost Host { get; } = AcceleratorHost.Create();

    public void Dispose() => Host.Dispose();
}
