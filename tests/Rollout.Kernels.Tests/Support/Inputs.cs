using ILGPU;
using ILGPU.Runtime;

namespace Rollout.Kernels.Tests.Support;

/// <summary>Seeded random inputs and device buffers poisoned with NaN, so an element a kernel never writes fails.</summary>
public sealed class Inputs(int seed)
{
    private readonly Random random = new(seed);

    /// <summary>Normal(0, σ²) values.</summary>
    public float[] Normal(int count, double sigma = 1)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)(sigma * NextNormal());
        return values;
    }

    /// <summary>Uniform values in [low, high).</summary>
    public float[] Uniform(int count, double low, double high)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)(low + (high - low) * random.NextDouble());
        return values;
    }

    public int[] Integers(int count, int below)
    {
        var values = new int[count];
        for (int i = 0; i < count; i++) values[i] = random.Next(below);
        return values;
    }

    public double NextNormal() =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    public int Next(int low, int high) => random.Next(low, high);

    /// <summary>A device buffer of <paramref name="count"/> NaNs.</summary>
    public static MemoryBuffer1D<float, Stride1D.Dense> Poisoned(Accelerator accelerator, long count)
    {
        var poison = new float[count];
        Array.Fill(poison, float.NaN);
        return accelerator.Allocate1D(poison);
    }
}
