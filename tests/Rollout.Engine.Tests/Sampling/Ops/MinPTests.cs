using Rollout.Engine.Sampling.Ops;

namespace Rollout.Engine.Tests.Sampling.Ops;

public class MinPTests
{
    [Fact]
    public void Keeps_tokens_at_least_min_p_times_the_top_one_in_their_order()
    {
        // Top weight 1: threshold 0.25 keeps 1, 0.5 and 0.25 (the boundary is inclusive) and drops 0.125.
        double[] weights = [0.5, 0.125, 1.0, 0.25];
        int[] candidates = [3, 2, 1, 0];
        var n = MinP.Select(weights, candidates, 0.25);
        Assert.Equal([3, 2, 0], candidates[..n]);
    }

    [Fact]
    public void Min_p_one_keeps_only_the_tied_maxima()
    {
        double[] weights = [0.4, 0.2, 0.4];
        int[] candidates = [0, 1, 2];
        var n = MinP.Select(weights, candidates, 1.0);
        Assert.Equal([0, 2], candidates[..n]);
    }
}
