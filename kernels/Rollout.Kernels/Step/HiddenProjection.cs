using System.Numerics.Tensors;
using ILGPU;
using ILGPU.Runtime;
using Rollout.Kernels.Runtime;

namespace Rollout.Kernels.Step;

/// <summary>The hidden half of a step feature, v_t = V_rᵀ h_t (spec §4): one group per (row, component) reduces over d.</summary>
/// <remarks>V_r arrives transposed, as <c>hiddenBasis</c> (rank × width): row a is the a-th right singular vector.</remarks>
public static class HiddenProjection
{
    /// <summary>Float64 reference: v (rows × r) from hidden states (rows × d) and V_rᵀ (r × d).</summary>
    public static double[] Reference(float[] hidden, float[] hiddenBasis, int width, int rank)
    {
        var rows = hidden.Length / width;
        var v = new double[rows * rank];
        for (int row = 0; row < rows; row++)
            for (int a = 0; a < rank; a++)
            {
                double sum = 0;
                for (int j = 0; j < width; j++) sum += (double)hiddenBasis[a * width + j] * hidden[row * width + j];
                v[row * rank + a] = sum;
            }
        return v;
    }

    /// <summary>Writes v (rows × rank) from <paramref name="hidden"/> (rows × width) and <paramref name="hiddenBasis"/> V_rᵀ (rank × width).</summary>
    public static void Run(AcceleratorHost host, ArrayView<float> hidden, ArrayView<float> hiddenBasis,
        ArrayView<float> v, int width, int rank)
    {
        Require.Positive(width, nameof(width));
        Require.Positive(rank, nameof(rank));
        Require.Length(hiddenBasis, (long)width * rank, nameof(hiddenBasis));
        if (hidden.Length == 0 || hidden.Length % width != 0)
            throw new ArgumentException($"hidden holds {hidden.Length} elements, not a positive multiple of width {width}.", nameof(hidden));
        Require.Length(v, hidden.Length / width * rank, nameof(v));
        host.Dispatch(
            () => Managed(hidden, hiddenBasis, v, width, rank),
            () =>
            {
                var kernel = host.Kernel(static a =>
                    a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(Kernel));
                kernel(host.ReductionLaunch((int)v.Length), hidden, hiddenBasis, v, width, rank);
            });
    }

    /// <summary>The host form of <see cref="Kernel"/>: one float32 dot product over d per (row, component), rows in parallel.</summary>
    private static void Managed(ArrayView<float> hidden, ArrayView<float> hiddenBasis, ArrayView<float> v, int width, int rank)
    {
        HostView<float> states = hidden.OnHost(), factors = hiddenBasis.OnHost(), output = v.OnHost();
        HostLoop.For(output.Length / rank, (long)width * rank, row =>
        {
            var state = states.Span.Slice(row * width, width);
            var basis = factors.Span;
            var features = output.Span.Slice(row * rank, rank);
            for (int a = 0; a < rank; a++) features[a] = TensorPrimitives.Dot(basis.Slice(a * width, width), state);
        });
    }

    private static void Kernel(ArrayView<float> hidden, ArrayView<float> hiddenBasis, ArrayView<float> v, int width, int rank)
    {
        int row = Grid.IdxX / rank, a = Grid.IdxX % rank;
        long offset = (long)row * width, basis = (long)a * width;
        float partial = 0;
        for (int j = Group.IdxX; j < width; j += Group.DimX) partial += hiddenBasis[basis + j] * hidden[offset + j];
        float sum = GroupReduce.Sum(partial);
        if (Group.IdxX == 0) v[Grid.IdxX] = sum;
    }
}
