namespace Rollout.Engine.Tests.L2T;

/// <summary>Scorer output against the float64 recomputation.</summary>
internal static class Agreement
{
    public const double Tolerance = 1e-4;

    /// <summary>
    /// Every element within <paramref name="tolerance"/> relative error, the denominator being max(|expected|, RMS of
    /// <paramref name="expected"/>) so a term that cancels to near zero is judged on its array's scale. NaN never passes.
    /// </summary>
    public static void Close(IReadOnlyList<double> expected, IReadOnlyList<double> actual, string what, double tolerance = Tolerance)
    {
        Assert.Equal(expected.Count, actual.Count);
        var scale = expected.Count == 0 ? 0 : Math.Sqrt(expected.Average(e => e * e));
        for (int i = 0; i < expected.Count; i++)
        {
            var error = Math.Abs(actual[i] - expected[i]) / Math.Max(Math.Abs(expected[i]), scale);
            if (!(error <= tolerance) && !(actual[i] == expected[i]))
                Assert.Fail($"{what}[{i}]: got {actual[i]}, expected {expected[i]} (relative error {error:E2}).");
        }
    }
}
