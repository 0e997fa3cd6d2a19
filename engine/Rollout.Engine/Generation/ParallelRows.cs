using System.Runtime.ExceptionServices;

namespace Rollout.Engine.Generation;

/// <summary>A loop over independent rows on the thread pool that fails as the sequential loop would: with the row's own exception, not an AggregateException.</summary>
internal static class ParallelRows
{
    public static void For(int count, Action<int> body)
    {
        if (count == 1)
        {
            body(0);
            return;
        }
        try { Parallel.For(0, count, body); }
        catch (AggregateException e) { ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw(); }
    }
}
