namespace Rollout.Kernels.Svd;

/// <summary>
/// The head core M (r × r, row-major) of the proxy policy W(M) = W + U_r M V_rᵀ (spec §4, §6). Immutable and equal by
/// value: an update makes a new core, so settings that carry it (and whatever is cached by them) cannot go on
/// sampling with a stale M.
/// </summary>
public sealed class HeadCore : IEquatable<HeadCore>
{
    private readonly float[] _values;

    public int Rank { get; }

    /// <summary>M row-major, r² entries.</summary>
    public ReadOnlySpan<float> Values => _values;

    /// <summary>Copies <paramref name="values"/> (r² numbers, row-major).</summary>
    public HeadCore(int rank, ReadOnlySpan<float> values)
    {
        if (rank < 1) throw new ArgumentOutOfRangeException(nameof(rank), $"The rank must be positive (got {rank}).");
        if (values.Length != rank * rank)
            throw new ArgumentException($"A rank-{rank} core has {rank * rank} entries; got {values.Length}.", nameof(values));
        Rank = rank;
        _values = values.ToArray();
    }

    public static HeadCore Zero(int rank) => new(rank, new float[rank * rank]);

    /// <summary>A copy of M.</summary>
    public float[] ToArray() => (float[])_values.Clone();

    public bool Equals(HeadCore? other) =>
        other is not null && other.Rank == Rank && other._values.AsSpan().SequenceEqual(_values);

    public override bool Equals(object? obj) => Equals(obj as HeadCore);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Rank);
        hash.AddBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_values.AsSpan()));
        return hash.ToHashCode();
    }
}
