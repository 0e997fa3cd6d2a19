using Rollout.Kernels.Runtime;

namespace Rollout.Kernels.Tests.Runtime;

/// <summary>The managed sweeps' float32 exp against <see cref="Math.Exp"/> in double.</summary>
public class ExponentialTests
{
    [Fact]
    public void Exps_are_within_two_ulp_above_the_floor_and_zero_below_it()
    {
        // A dense grid over the shifted logits' range (and past ln 2 / 2 steps, where the reduction changes n), plus the ends.
        var x = Enumerable.Range(0, 1_000_003).Select(i => -70f + i * 80f / 1_000_002).Concat([0f, -0f, Exponential.Floor, 1e-30f, -1e-30f, 88f]).ToArray();
        var y = new float[x.Length];
        Exponential.Of(x, y);
        for (int i = 0; i < x.Length; i++)
        {
            if (x[i] < Exponential.Floor)
            {
                Assert.Equal(0f, y[i]);
                continue;
            }
            double expected = Math.Exp(x[i]);
            // 2 ulp of a float32 is at most 2 · 2⁻²³ of the value.
            Assert.True(Math.Abs(y[i] - expected) <= 2.4e-7 * expected, $"exp({x[i]:R}) = {y[i]:R}, expected {expected:R}");
        }
    }

    [Fact]
    public void A_NaN_stays_NaN_in_every_lane()
    {
        // A NaN logit must reach the sums as NaN (so the row is reported), not vanish under the clamp to the floor.
        for (int lane = 0; lane < 17; lane++)
        {
            var x = Enumerable.Repeat(-1f, 17).ToArray();
            x[lane] = float.NaN;
            var y = new float[x.Length];
            Exponential.Of(x, y);
            Assert.True(float.IsNaN(y[lane]), $"lane {lane}: {y[lane]}");
            Assert.Equal(17 - 1, y.Count(value => value == MathF.Exp(-1f) || Math.Abs(value - Math.Exp(-1)) <= 2.4e-7 * Math.Exp(-1)));
        }
    }
}
