namespace Rollout.Interop.Cuda;

/// <summary>A CUDA driver call returned an error.</summary>
public sealed class CudaDriverException(string call, int result, string resultName)
    : InvalidOperationException($"{call} failed with {resultName} ({result})")
{
    public string Call { get; } = call;
    public int Result { get; } = result;
}
