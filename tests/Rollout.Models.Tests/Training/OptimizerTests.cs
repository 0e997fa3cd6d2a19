using Rollout.Models.Training;
using Rollout.Models.Training.Optimization;

namespace Rollout.Models.Tests.Training;

public class OptimizerTests
{
    [Fact]
    public void AdamWStepsMatchHandComputation()
    {
        var matrix = new Parameter<double>("w", [1, 2]);
        var norm = new Parameter<double>("n", [1]);
        matrix.Value[0] = 1.0; matrix.Value[1] = -2.0; norm.Value[0] = 0.5;
        var adam = new AdamW<double>([matrix, norm], beta1: 0.9, beta2: 0.99, epsilon: 0, weightDecay: 0.1);
        matrix.Grad[0] = 0.3; matrix.Grad[1] = -0.1; norm.Grad[0] = 2.0;
        adam.Step(0.01);
        // Step 1: m̂ = g, v̂ = g², so the update is lr·sign(g); decay multiplies matrices by (1 − lr·wd).
        Assert.Equal(1.0 * 0.999 - 0.01, matrix.Value[0], 12);
        Assert.Equal(-2.0 * 0.999 + 0.01, matrix.Value[1], 12);
        Assert.Equal(0.5 - 0.01, norm.Value[0], 12);
        norm.Grad[0] = -1.0;
        adam.Step(0.01);
        // Step 2: m = 0.9·0.2 + 0.1·(−1) = 0.08, v = 0.99·0.04 + 0.01·1 = 0.0496.
        double mHat = 0.08 / (1 - 0.81), vHat = 0.0496 / (1 - 0.9801);
        Assert.Equal(0.49 - 0.01 * mHat / Math.Sqrt(vHat), norm.Value[0], 12);
    }

    [Fact]
    public void ClippingScalesToTheGlobalNorm()
    {
        var a = new Parameter<float>("a", [2]);
        var b = new Parameter<float>("b", [1]);
        a.Grad[0] = 3; a.Grad[1] = 0; b.Grad[0] = 4;
        Assert.Equal(5.0, GradientClipping.ClipGlobalNorm([a, b], maxNorm: 1.0), 6);
        Assert.Equal([0.6f, 0f], a.Grad);
        Assert.Equal(0.8f, b.Grad[0], 6);
        Assert.Equal(1.0, GradientClipping.ClipGlobalNorm([a, b], maxNorm: 2.0), 6);
        Assert.Equal(0.8f, b.Grad[0], 6);
    }

    [Fact]
    public void ScheduleWarmsUpLinearlyThenFollowsCosine()
    {
        var s = new LearningRateSchedule(Peak: 1.0, WarmupSteps: 4, TotalSteps: 14, FinalRatio: 0.1);
        Assert.Equal(0.25, s.At(0), 12);
        Assert.Equal(1.0, s.At(3), 12);
        Assert.Equal(1.0, s.At(4), 12);
        Assert.Equal(0.1 + 0.9 * 0.5, s.At(9), 12);
        Assert.Equal(0.1, s.At(14), 12);
    }
}
