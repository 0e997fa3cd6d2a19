namespace Rollout.Models.Weights;

/// <summary>One named checkpoint tensor: row-major float32 data and its shape.</summary>
public sealed class WeightTensor
{
    public int[] Shape { get; }
    public float[] Data { get; }

    public WeightTensor(int[] shape, float[] data)
    {
        long count = shape.Aggregate(1L, (a, d) => a * d);
        if (count != data.Length)
            throw new ArgumentException($"shape [{string.Join(", ", shape)}] holds {count} values, data has {data.Length}");
        Shape = shape;
        Data = data;
    }

    /// <summary>Element (r, c) of a 2-D tensor.</summary>
    public float this[int r, int c] => Data[(long)r * Shape[1] + c];

    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}
