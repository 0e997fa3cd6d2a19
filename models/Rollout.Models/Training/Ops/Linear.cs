using System.Numerics;
using System.Numerics.Tensors;

namespace Rollout.Models.Training.Ops;

/// <summary>nn.Linear on row-major activations: y[rows, out] = x[rows, in]·Wᵀ + b, W stored [out, in] as in the checkpoint.</summary>
public static class Linear
{
    public static void Forward<T>(T[] x, Parameter<T> weight, Parameter<T>? bias, T[] y, int rows)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int outDim = weight.Shape[0], inDim = weight.Shape[1];
        MatMul.MultiplyTransposed(x, weight.Value, y, rows, outDim, inDim, accumulate: false);
        if (bias != null)
            for (int n = 0; n < rows; n++)
                TensorPrimitives.Add<T>(y.AsSpan(n * outDim, outDim), bias.Value, y.AsSpan(n * outDim, outDim));
    }

    /// <summary>dx (+)= dy·W.</summary>
    public static void InputGradient<T>(T[] dy, Parameter<T> weight, T[] dx, int rows, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int outDim = weight.Shape[0], inDim = weight.Shape[1];
        var wT = new T[inDim * outDim];
        MatMul.Transpose(weight.Value, wT, outDim, inDim);
        MatMul.MultiplyTransposed(dy, wT, dx, rows, inDim, outDim, accumulate);
    }

    /// <summary>
    /// W.Grad += dyᵀ·x and b.Grad += Σ_rows dy. Takes xᵀ [in, rows] so callers whose projections share
    /// an input (q/k/v, gate/up) transpose it once.
    /// </summary>
    public static void WeightGradient<T>(T[] dy, T[] xTransposed, Parameter<T> weight, Parameter<T>? bias, int rows)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int outDim = weight.Shape[0], inDim = weight.Shape[1];
        var dyT = new T[outDim * rows];
        MatMul.Transpose(dy, dyT, rows, outDim);
        MatMul.MultiplyTransposed(dyT, xTransposed, weight.Grad, outDim, inDim, rows, accumulate: true);
        if (bias != null)
            for (int o = 0; o < outDim; o++)
                bias.Grad[o] += TensorPrimitives.Sum<T>(dyT.AsSpan(o * rows, rows));
    }

    public static T[] Transposed<T>(T[] x, int rows, int cols) where T : unmanaged
    {
        var t = new T[rows * cols];
        MatMul.Transpose(x, t, rows, cols);
        return t;
    }
}
