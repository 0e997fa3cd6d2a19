using System.Text;

namespace Rollout.Engine.Sampling;

/// <summary>
/// The random stream of one rollout, fixed by (seed, prompt id, sample index) alone, so a sample
/// is reproducible whatever else shares its batch.
/// <para>
/// Construction: the key is <c>k = mix(mix(mix(seed) ⊕ fnv1a64(utf8(promptId))) ⊕ sampleIndex)</c>,
/// where <c>mix(x)</c> is SplitMix64's output function applied to <c>x + 0x9E3779B97F4A7C15</c>.
/// Draw n (n = 0, 1, …) is <c>mix(k + (n+1)·0x9E3779B97F4A7C15)</c>: SplitMix64 seeded with k. It is
/// counter-based, so draw n depends only on the key and n, never on how draws were interleaved.
/// </para>
/// </summary>
internal sealed class SampleRng
{
    private const ulong Gamma = 0x9E3779B97F4A7C15;
    private readonly ulong _key;

    public SampleRng(ulong seed, string promptId, int sampleIndex)
    {
        var k = Step(seed);
        k = Step(k ^ Fnv1a64(Encoding.UTF8.GetBytes(promptId)));
        _key = Step(k ^ (uint)sampleIndex);
    }

    /// <summary>How many draws were taken; the next one is draw number <see cref="Position"/>.</summary>
    public ulong Position { get; private set; }

    public ulong NextUInt64() => Mix(_key + Gamma * ++Position);

    /// <summary>Uniform in [0, 1), 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    private static ulong Step(ulong x) => Mix(x + Gamma);

    // SplitMix64's finaliser (Stafford's Mix13).
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }

    private static ulong Fnv1a64(ReadOnlySpan<byte> bytes)
    {
        var h = 0xCBF29CE484222325UL;
        foreach (var b in bytes) h = (h ^ b) * 0x100000001B3UL;
        return h;
    }
}
