using ILGPU;

namespace Rollout.Kernels.Runtime;

/// <summary>
/// Reductions and scans over the threads of one group (power-of-two groups). The float forms need one float of dynamic
/// shared memory per thread (<see cref="AcceleratorHost.ReductionLaunch"/>), the int and float64 forms two 4-byte slots
/// (<see cref="AcceleratorHost.WideReductionLaunch"/>). Every thread of the group must call them, and every thread gets the result.
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

    // Integer reductions over the float ones: exact while every value and partial sum stays below 2²⁴ in magnitude,
    // which holds for the counts and token ids of any vocabulary.
    public static int Sum(int value) => (int)Sum((float)value);

    public static int Max(int value) => (int)Max((float)value);

    public static int Min(int value) => -Max(-value);

    // The scans and the float64 forms read the scratch as ints (4-byte slots, so no alignment beyond a float's is
    // assumed); a double occupies two slots, its low and high halves.

    /// <summary>The sum of the values of the threads before this one (0 for the first); <paramref name="total"/>: of all.</summary>
    public static int ExclusiveSum(int value, out int total)
    {
        var scratch = SharedMemory.GetDynamic<int>();
        int lane = Group.IdxX;
        scratch[lane] = value;
        Group.Barrier();
        if (lane == 0) // a serial pass over one value per thread: short next to the passes over a row that need it
        {
            int running = 0;
            for (int i = 0; i < Group.DimX; i++)
            {
                int next = running + scratch[i];
                scratch[i] = running;
                running = next;
            }
        }
        Group.Barrier();
        int before = scratch[lane];
        Group.Barrier();
        if (lane == Group.DimX - 1) scratch[0] = before + value;
        Group.Barrier();
        total = scratch[0];
        Group.Barrier();
        return before;
    }

    /// <summary>Tree sum in float64; the tree is the same for every call, so masking terms to 0 never raises the result.</summary>
    public static double Sum(double value)
    {
        var scratch = SharedMemory.GetDynamic<int>();
        int lane = Group.IdxX;
        Store(scratch, lane, value);
        Group.Barrier();
        for (int half = Group.DimX / 2; half > 0; half /= 2)
        {
            if (lane < half) Store(scratch, lane, Load(scratch, lane) + Load(scratch, lane + half));
            Group.Barrier();
        }
        double result = Load(scratch, 0);
        Group.Barrier();
        return result;
    }

    /// <summary>
    /// The float64 sum of the values of the threads before this one (0 for the first), added left to right, and in
    /// <paramref name="total"/> the sum of all. Serial, so the running sums never decrease: the intervals
    /// [before, before + value) of the threads tile [0, total) in thread order, each rounded the same way everywhere.
    /// </summary>
    public static double ExclusiveSum(double value, out double total)
    {
        var scratch = SharedMemory.GetDynamic<int>();
        int lane = Group.IdxX;
        Store(scratch, lane, value);
        Group.Barrier();
        if (lane == 0)
        {
            double running = 0;
            for (int i = 0; i < Group.DimX; i++)
            {
                double next = running + Load(scratch, i);
                Store(scratch, i, running);
                running = next;
            }
        }
        Group.Barrier();
        double before = Load(scratch, lane);
        Group.Barrier();
        // The last thread's before + value is the serial pass's final sum (the same addition): share it.
        if (lane == Group.DimX - 1) Store(scratch, 0, before + value);
        Group.Barrier();
        total = Load(scratch, 0);
        Group.Barrier();
        return before;
    }

    private static void Store(ArrayView<int> scratch, int slot, double value)
    {
        ulong bits = Interop.FloatAsInt(value);
        scratch[2 * slot] = (int)(uint)bits;
        scratch[2 * slot + 1] = (int)(uint)(bits >> 32);
    }

    private static double Load(ArrayView<int> scratch, int slot) =>
        Interop.IntAsFloat((uint)scratch[2 * slot] | ((ulong)(uint)scratch[2 * slot + 1] << 32));
}
