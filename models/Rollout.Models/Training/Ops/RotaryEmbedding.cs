using System.Numerics;

namespace Rollout.Models.Training.Ops;

/// <summary>
/// Rotary position embedding with Hugging Face's rotate_half pairing (element e turns with e + headDim/2,
/// frequency θ^(−2e/headDim)). The rotation is orthogonal, so the backward is the same turn by −angle.
/// </summary>
public sealed class RotaryEmbedding<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly int _half;
    private readonly T[] _cos;
    private readonly T[] _sin;

    public RotaryEmbedding(int headDim, int maxPositions, double theta)
    {
        _half = headDim / 2;
        _cos = new T[maxPositions * _half];
        _sin = new T[maxPositions * _half];
        for (int p = 0; p < maxPositions; p++)
            for (int e = 0; e < _half; e++)
            {
                double angle = p / Math.Pow(theta, 2.0 * e / headDim);
                _cos[p * _half + e] = T.CreateChecked(Math.Cos(angle));
                _sin[p * _half + e] = T.CreateChecked(Math.Sin(angle));
            }
    }

    public int MaxPositions => _cos.Length / _half;

    /// <summary>Rotates each row's <paramref name="heads"/> heads in place at the row's position.</summary>
    public void Rotate(T[] x, int[] positions, int rows, int heads, bool inverse)
    {
        int headDim = 2 * _half, width = heads * headDim;
        Parallel.For(0, rows, n =>
        {
            int pos = positions[n];
            if (pos >= MaxPositions) throw new ArgumentOutOfRangeException(nameof(positions), $"position {pos} is past the model's {MaxPositions}");
            var cos = _cos.AsSpan(pos * _half, _half);
            var sin = _sin.AsSpan(pos * _half, _half);
            for (int h = 0; h < heads; h++)
            {
                var row = x.AsSpan(n * width + h * headDim, headDim);
                for (int e = 0; e < _half; e++)
                {
                    T a = row[e], b = row[e + _half], s = inverse ? -sin[e] : sin[e];
                    row[e] = a * cos[e] - b * s;
                    row[e + _half] = b * cos[e] + a * s;
                }
            }
        });
    }
}
