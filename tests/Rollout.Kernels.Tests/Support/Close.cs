namespace Rollout.Kernels.Tests.Support;

/// <summary>Comparisons of kernel outputs against their float64 references.</summary>
public static class Close
{
    public const double Tolerance = 1e-4;

    /// <summary>
    /// Every element within <paramref name="tolerance"/> relative error. The denominator is max(|reference|, RMS of
    /// the reference) so an element that cancels to near zero is judged on the array's scale. NaN never passes.
    /// </summary>
    public static void Assert(ReadOnlySpan<double> reference, ReadOnlySpan<float> actual, string what, double tolerance = Tolerance)
    {
        Xunit.Assert.Equal(reference.Length, actual.Length);
        double squares = 0;
        foreach (var r in reference) squares += r * r;
        var scale = Math.Sqrt(squares / Math.Max(1, reference.Length));
        for (int i = 0; i < reference.Length; i++)
        {
            var error = Math.Abs(actual[i] - reference[i]) / Math.Max(Math.Abs(reference[i]), scale);
            if (!(error <= tolerance))
                Xunit.Assert.Fail($"{what}[{i}]: got {actual[i]}, reference {reference[i]} (relative error {error:E2}).");
        }
    }

    public static void Assert(double reference, double actual, string what, double tolerance = Tolerance)
    {
        var error = Math.Abs(actual - reference) / Math.Max(Math.Abs(reference), 1e-30);
        if (!(error <= tolerance))
            Xunit.Assert.Fail($"{what}: got {actual}, reference {reference} (relative error {error:E2}).");
    }
}
