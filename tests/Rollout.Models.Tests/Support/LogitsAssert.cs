namespace Rollout.Models.Tests.Support;

/// <summary>Row-wise comparison of runtime logits (or hidden states) against the float64 reference.</summary>
internal static class LogitsAssert
{
    /// <summary>‖actual − expected‖ / ‖expected‖ ≤ tolerance, and no NaN.</summary>
    public static void Close(double[] expected, float[] actual, double tolerance, string where)
    {
        Assert.Equal(expected.Length, actual.Length);
        Assert.DoesNotContain(actual, float.IsNaN);
        double diff = 0, norm = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            diff += (actual[i] - expected[i]) * (actual[i] - expected[i]);
            norm += expected[i] * expected[i];
        }
        double relative = Math.Sqrt(diff / norm);
        Assert.True(relative <= tolerance, $"{where}: relative error {relative:E2} > {tolerance:E0}");
    }

    public static int ArgMax(double[] row) => Array.IndexOf(row, row.Max());
}
