using ILGPU;

namespace Rollout.Kernels.Runtime;

/// <summary>Host-side argument checks run before a launch, so bad shapes fail with a message instead of inside a kernel.</summary>
internal static class Require
{
    public static void Positive(long value, string name)
    {
        if (value <= 0) throw new ArgumentException($"{name} must be positive (got {value}).", name);
    }

    public static void Length<T>(ArrayView<T> view, long expected, string name) where T : unmanaged
    {
        if (view.Length != expected)
            throw new ArgumentException($"{name} holds {view.Length} elements; expected {expected}.", name);
    }

    public static void Length<T>(ReadOnlySpan<T> values, long expected, string name)
    {
        if (values.Length != expected)
            throw new ArgumentException($"{name} holds {values.Length} elements; expected {expected}.", name);
    }

    public static void Temperature(float temperature)
    {
        if (!(temperature > 0 && float.IsFinite(temperature)))
            throw new ArgumentException($"Temperature must be positive and finite (got {temperature}).", nameof(temperature));
    }
}
