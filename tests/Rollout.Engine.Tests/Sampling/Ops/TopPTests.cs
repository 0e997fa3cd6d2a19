using Rollout.Engine.Sampling.Ops;

namespace Rollout.Engine.Tests.Sampling.Ops;

public class TopPTests
{
    /// <summary>The kept ids, ascending.</summary>
    private static int[] Select(double[] weights, double p)
    {
        var candidates = Enumerable.Range(0, weights.Length).ToArray();
        return candidates[..TopP.Select(weights, candidates, p)].Order().ToArray();
    }

    [Theory]
    [InlineData(0.3, new[] { 1 })]          // 0.4 ≥ 0.3
    [InlineData(0.5, new[] { 1, 3 })]       // 0.4 < 0.5, 0.4 + 0.3 ≥ 0.5
    [InlineData(0.75, new[] { 0, 1, 3 })]   // 0.7 < 0.75, 0.9 ≥ 0.75
    [InlineData(0.95, new[] { 0, 1, 2, 3 })]
    public void Keeps_the_smallest_set_reaching_p(double p, int[] expected)
    {
        // Probabilities 0.2, 0.4, 0.1, 0.3 as unnormalised weights (the op renormalises).
        Assert.Equal(expected, Select([2, 4, 1, 3], p));
    }

    [Fact]
    public void Ties_at_the_boundary_keep_the_lowest_id()
    {
        // Probabilities 0.5, 0.2 (id 1), 0.1, 0.2 (id 3): p = 0.6 needs one of the tied 0.2s.
        Assert.Equal([0, 1], Select([5, 2, 1, 2], 0.6));
    }

    [Fact]
    public void Always_keeps_the_top_token()
    {
        Assert.Equal([2], Select([1, 1, 98], 0.01));
    }

    [Fact]
    public void Renormalises_over_the_candidates_given()
    {
        // After a top-k of ids 0..2 (total 8): 4/8 = 0.5 < 0.6, (4+3)/8 ≥ 0.6.
        double[] weights = [4, 3, 1, 100];
        int[] candidates = [0, 1, 2];
        Assert.Equal(2, TopP.Select(weights, candidates, 0.6));
        Assert.Equal([0, 1], candidates[..2].Order());
    }

    [Fact]
    public void Matches_the_reference_on_a_large_row()
    {
        var random = new Random(4);
        // Rounded log-weights: a flat row with many ties.
        var weights = Enumerable.Range(0, 150_000).Select(_ => Math.Exp(Math.Round(4 * random.NextDouble(), 2))).ToArray();
        var total = weights.Sum();
        var kept = ReferenceSampling.Kept(weights.Select(w => w / total).ToArray(), 0, 0.9, 0);
        var expected = Enumerable.Range(0, weights.Length).Where(i => kept[i]).ToArray();
        Assert.Equal(expected, Select(weights, 0.9));
    }
}
