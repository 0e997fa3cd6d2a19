using System.Numerics;
using System.Numerics.Tensors;

namespace Rollout.Models.Training.Ops;

/// <summary>
/// Softmax shifted by the maximum first. TensorPrimitives.SoftMax exponentiates the raw values, so scores
/// above ~88 overflow to ∞ and the result is NaN (seen in training once attention logits grew).
/// </summary>
public static class StableSoftmax
{
    public static void InPlace<T>(Span<T> values) where T : unmanaged, IFloatingPointIeee754<T>
    {
        TensorPrimitives.Subtract<T>(values, TensorPrimitives.Max<T>(values), values);
        TensorPrimitives.SoftMax<T>(values, values);
    }
}
