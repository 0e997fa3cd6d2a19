namespace Rollout.Kernels.Runtime;

/// <summary>
/// Fixed-size blocks of <c>[0, length)</c>, the work items of the managed backend's parallel loops. Their size is
/// fixed rather than derived from the thread count, so a sum of per-block partials is the same on every machine.
/// </summary>
internal static class Blocks
{
    /// <summary>Logits per block of the managed step ops' sweeps over a row (4 KB, in L1): the unit of their partial sums.</summary>
    public const int Vocabulary = 1024;

    public static int Count(int length, int size) => (length + size - 1) / size;

    /// <summary>Block <paramref name="block"/>: <paramref name="size"/> indices, fewer for the last.</summary>
    public static IndexRange Of(int block, int length, int size)
    {
        int start = block * size;
        return new IndexRange(start, Math.Min(size, length - start));
    }
}
