using Rollout.Engine.Sampling.Ops;

namespace Rollout.Engine.Tests.Sampling.Ops;

public class TopKTests
{
    private static int[] Select(double[] weights, int k)
    {
        var candidates = Enumerable.Range(0, weights.Length).ToArray();
        var n = TopK.Select(weights, candidates, k);
        return candidates[..n].Order().ToArray();
    }

    [Fact]
    public void Keeps_the_k_largest()
    {
        Assert.Equal([1, 3], Select([0.1, 0.9, 0.3, 0.5, 0.2], 2));
    }

    [Fact]
    public void Ties_at_the_boundary_keep_exactly_k_lowest_ids()
    {
        // 1.0 (id 2), then the 0.5s at ids 0, 3, 4, 5: the two lowest, 0 and 3, make k = 3.
        Assert.Equal([0, 2, 3], Select([0.5, 0.1, 1.0, 0.5, 0.5, 0.5], 3));
    }

    [Fact]
    public void K_at_least_the_vocabulary_keeps_everything()
    {
        Assert.Equal([0, 1, 2], Select([0.2, 0.3, 0.5], 5));
    }

    [Fact]
    public void Matches_a_full_sort_on_a_large_row()
    {
        var random = new Random(11);
        // Coarse values force many ties.
        var weights = Enumerable.Range(0, 150_000).Select(_ => Math.Round(random.NextDouble(), 3)).ToArray();
        var expected = ReferenceSampling.Ranked(weights)[..1000].Order().ToArray();
        Assert.Equal(expected, Select(weights, 1000));
    }
}
