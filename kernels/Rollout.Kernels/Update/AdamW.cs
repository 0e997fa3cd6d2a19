using System.Numerics;
using ILGPU;
using ILGPU.Runtime;
using Rollout.Kernels.Runtime;

namespace Rollout.Kernels.Update;

/// <summary>
/// One AdamW step on the head core M (decoupled weight decay, bias-corrected moments), one thread per entry.
/// The bias corrections depend only on the step number, so the host folds them into the launch arguments.
/// </summary>
public static class AdamW
{
    /// <summary>Float64 reference: updates <paramref name="parameters"/> and both moments in place for step <paramref name="step"/> (1-based).</summary>
    public static void Reference(double[] parameters, float[] gradient, double[] firstMoment, double[] secondMoment, int step, AdamWSettings options)
    {
        double correction1 = 1 - Math.Pow(options.Beta1, step), correction2 = 1 - Math.Pow(options.Beta2, step);
        for (int i = 0; i < parameters.Length; i++)
        {
            firstMoment[i] = options.Beta1 * firstMoment[i] + (1 - options.Beta1) * gradient[i];
            secondMoment[i] = options.Beta2 * secondMoment[i] + (1 - options.Beta2) * gradient[i] * gradient[i];
            parameters[i] -= options.LearningRate * options.WeightDecay * parameters[i];
            parameters[i] -= options.LearningRate * (firstMoment[i] / correction1) / (Math.Sqrt(secondMoment[i] / correction2) + options.Epsilon);
        }
    }

    /// <summary>Updates <paramref name="parameters"/> and the moments (all the same length) in place for step <paramref name="step"/> (1-based).</summary>
    public static void Run(AcceleratorHost host, ArrayView<float> parameters, ArrayView<float> gradient,
        ArrayView<float> firstMoment, ArrayView<float> secondMoment, int step, AdamWSettings options)
    {
        Require.Positive(step, nameof(step));
        Require.Positive(parameters.Length, nameof(parameters));
        Require.Length(gradient, parameters.Length, nameof(gradient));
        Require.Length(firstMoment, parameters.Length, nameof(firstMoment));
        Require.Length(secondMoment, parameters.Length, nameof(secondMoment));
        double correction1 = 1 - Math.Pow(options.Beta1, step), correction2 = 1 - Math.Pow(options.Beta2, step);
        float beta1 = (float)options.Beta1, beta2 = (float)options.Beta2, epsilon = (float)options.Epsilon,
            stepSize = (float)(options.LearningRate / correction1), decayFactor = (float)(1 - options.LearningRate * options.WeightDecay),
            inverseCorrection2 = (float)(1 / correction2);
        host.Dispatch(
            () => Step(parameters.OnHost().Span, gradient.OnHost().Span, firstMoment.OnHost().Span, secondMoment.OnHost().Span,
                beta1, beta2, epsilon, stepSize, decayFactor, inverseCorrection2),
            () =>
            {
                var kernel = host.Kernel(static a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>,
                    ArrayView<float>, ArrayView<float>, float, float, float, float, float, float>(Kernel));
                kernel((int)parameters.Length, parameters, gradient, firstMoment, secondMoment,
                    beta1, beta2, epsilon, stepSize, decayFactor, inverseCorrection2);
            });
    }

    /// <summary>
    /// The host form of <see cref="Kernel"/>, entry after entry: the managed backend's step on M, and the project's
    /// trainer's on every weight tensor (generic, so its float64 gradient checks run the same arithmetic).
    /// </summary>
    public static void Step<T>(Span<T> parameters, ReadOnlySpan<T> gradient, Span<T> firstMoment, Span<T> secondMoment,
        T beta1, T beta2, T epsilon, T stepSize, T decayFactor, T inverseCorrection2) where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < parameters.Length; i++)
        {
            T g = gradient[i];
            T m = firstMoment[i] = beta1 * firstMoment[i] + (T.One - beta1) * g;
            T s = secondMoment[i] = beta2 * secondMoment[i] + (T.One - beta2) * g * g;
            parameters[i] = parameters[i] * decayFactor - stepSize * m / (T.Sqrt(s * inverseCorrection2) + epsilon);
        }
    }

    /// <summary>
    /// p ← p·(1 − lr·wd) − (lr / c₁)·m / (√(s / c₂) + ε), with c₁, c₂ the bias corrections folded into
    /// <paramref name="stepSize"/> and <paramref name="inverseCorrection2"/>.
    /// </summary>
    private static void Kernel(Index1D i, ArrayView<float> parameters, ArrayView<float> gradient,
        ArrayView<float> firstMoment, ArrayView<float> secondMoment,
        float beta1, float beta2, float epsilon, float stepSize, float decayFactor, float inverseCorrection2)
    {
        float g = gradient[i];
        float m = beta1 * firstMoment[i] + (1 - beta1) * g;
        float s = beta2 * secondMoment[i] + (1 - beta2) * g * g;
        firstMoment[i] = m;
        secondMoment[i] = s;
        parameters[i] = parameters[i] * decayFactor - stepSize * m / (MathF.Sqrt(s * inverseCorrection2) + epsilon);
    }
}
