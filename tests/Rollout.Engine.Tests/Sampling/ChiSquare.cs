namespace Rollout.Engine.Tests.Sampling;

/// <summary>Pearson's goodness-of-fit test, for checking empirical token frequencies against probabilities.</summary>
internal static class ChiSquare
{
    public static double Statistic(int[] counts, double[] probs)
    {
        var n = counts.Sum();
        var chi2 = 0.0;
        for (var i = 0; i < counts.Length; i++)
        {
            if (probs[i] == 0) continue;
            var expected = n * probs[i];
            chi2 += (counts[i] - expected) * (counts[i] - expected) / expected;
        }
        return chi2;
    }

    /// <summary>
    /// The 0.1% upper critical value for <paramref name="degreesOfFreedom"/> (Wilson–Hilferty, accurate to
    /// ~1% for df ≥ 3): a correct sampler fails a given seed's test with probability 0.001.
    /// </summary>
    public static double Critical001(int degreesOfFreedom)
    {
        const double z = 3.0902; // standard normal 99.9% quantile
        double k = degreesOfFreedom, a = 2 / (9 * k);
        return k * Math.Pow(1 - a + z * Math.Sqrt(a), 3);
    }
}
