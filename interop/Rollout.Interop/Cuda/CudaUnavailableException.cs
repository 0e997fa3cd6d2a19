namespace Rollout.Interop.Cuda;

/// <summary>The CUDA driver cannot be used on this machine: its library is missing or it finds no usable device.</summary>
public sealed class CudaUnavailableException(string message) : InvalidOperationException(message);
