using Rollout.Engine.Sampling.Ops;

namespace Rollout.Engine.Tests.Sampling.Ops;

public class MostLikelyTests
{
    private static int[] Select(float[] logits, int k)
    {
        var best = new int[k];
        return best[..MostLikely.Select(logits, best)];
    }

    [Fact]
    public void Lists_the_largest_logits_largest_first_ties_by_lowest_id()
    {
        // 3 (id 4), then the 2s at ids 1, 3, 5: the lowest two.
        Assert.Equal([4, 1, 3], Select([0, 2, -1, 2, 3, 2], 3));
        Assert.Equal([4, 1, 3, 5, 0, 2], Select([0, 2, -1, 2, 3, 2], 6));
    }

    [Fact]
    public void A_later_larger_logit_displaces_the_smallest_and_k_beyond_the_row_lists_it_all()
    {
        Assert.Equal([3, 2], Select([1, 2, 3, 4], 2));
        Assert.Equal([1, 0, 2], Select([0, 1, float.NegativeInfinity], 5));
    }
}
