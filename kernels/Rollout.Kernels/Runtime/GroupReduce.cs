using ILGPU;

namespace Rollout.Kernels.Runtime;

/// <summary>
/// Tree reductions over the threads of one group, for kernels launched with
/// <see cref="AcceleratorHost.ReductionLaunch"/> (one float of dynamic shared memory per thread, power-of-two groups).
/// Every thread of the group must call them, and every thread gets the result.
/// </summary>
internal static class GroupReduce
{
    public static float Sum(float value)
    {
        var scratch = SharedMemory.GetDynamic<float>();
        int lane = Group.IdxX;
        scratch[lane] = value;
        Group.Barrier();
        for (int half = Group.DimX / 2; half > 0; half /= 2)
        {
            if (lane < half) scratch[lane] += scratch[lane + half];
            Group.Barrier();
        }
        float result = scratch[0];
        Group.Barrier(); // the next reduction reuses the scratch
        return result;
    }

    public static float Max(float value)
    {
        var scratch = SharedMemory.GetDynamic<float>();
        int lane = Group.IdxX;
        scratch[lane] = value;
        Group.Barrier();
        for (int half = Group.DimX / 2; half > 0; half /= 2)
        {
            if (lane < half) scratch[lane] = MathF.Max(scratch[lane], scratch[lane + half]);
            Group.Barrier();
        }
        float result = scratch[0];
        Group.Barrier();
        return result;
    }
}
