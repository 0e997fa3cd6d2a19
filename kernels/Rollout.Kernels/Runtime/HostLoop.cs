namespace Rollout.Kernels.Runtime;

/// <summary>
/// The managed backend's parallel loop. A decode step's ops are small (tens of rows, a few hundred thousand
/// multiply-adds), and waking the thread pool costs more than such a loop itself, so small loops run inline.
/// Each item computes the same numbers either way: only the threads differ, never the sums.
/// </summary>
internal static class HostLoop
{
    /// <summary>Work (multiply-adds or exponentials) below which a loop runs on the calling thread.</summary>
    public const long ParallelThreshold = 1 << 20;

    public static void For(int count, long workPerItem, Action<int> body)
    {
        if (count * workPerItem < ParallelThreshold)
            for (int i = 0; i < count; i++) body(i);
        else Parallel.For(0, count, body);
    }
}
