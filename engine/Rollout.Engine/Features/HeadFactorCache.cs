using System.Buffers.Binary;
using System.IO.Hashing;
using Rollout.Engine.Model;
using System.Runtime.InteropServices;
using Rollout.Kernels.Svd;

namespace Rollout.Engine.Features;

/// <summary>
/// The head's randomized SVD kept beside the model, so a second load reads r·(V + d) factors instead of factoring the
/// V×d head again (seconds for a 150k-token vocabulary). One file, <see cref="FolderName"/>/<see cref="FileName"/> in
/// the model folder, for the parameters last used (a run keeps its parameters); its header holds everything the
/// factors depend on, the head's 128-bit hash included, and a hash of the factors themselves. A file that is short, long, corrupt, of another format or for another head or
/// parameters is not used: the factors are computed and the file replaced (written aside, then renamed into place).
/// </summary>
internal static class HeadFactorCache
{
    public const string FolderName = ".rollout-cache";
    public const string FileName = "head-svd.bin";

    /// <summary>"RSVD" little-endian.</summary>
    private const uint Magic = 0x44565352;

    /// <summary>Raised whenever the layout or the meaning of what is stored changes, so older files are recomputed.</summary>
    private const int FormatVersion = 1;

    /// <summary>Magic, version, six int32 sizes and parameters, the head's hash and the factors' hash.</summary>
    private const int HeaderLength = 4 + 4 + 6 * 4 + 16 + 8;

    private static int _warned;

    /// <summary>What the factors are a function of: the head's values and layout, and every SVD parameter.</summary>
    public readonly record struct Key(UInt128 HeadHash, int Vocab, int Width, int Rank, int Oversampling, int PowerIterations, int Seed)
    {
        /// <summary>The key of <paramref name="head"/>: its stored values hashed as they lie in memory, their layout folded in.</summary>
        public static Key Of(HeadWeights head, int rank, int oversampling, int powerIterations, int seed) =>
            new(OutputHead.HashStored(MemoryMarshal.AsBytes(head.Stored.AsSpan()), head.StoredAsColumns), head.Vocab, head.Hidden,
                rank, oversampling, powerIterations, seed);
    }

    public static string PathIn(string modelDir) => Path.Combine(modelDir, FolderName, FileName);

    /// <summary>The cached factors of <paramref name="key"/>, or null when there is no valid file for it.</summary>
    public static HeadFactors? TryRead(string modelDir, Key key)
    {
        try
        {
            using var file = new FileStream(PathIn(modelDir), FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
            Span<byte> header = stackalloc byte[HeaderLength];
            var expected = Header(key, factorsHash: 0);
            if (file.Length != HeaderLength + PayloadLength(key)) return null;
            file.ReadExactly(header);
            if (!header[..^8].SequenceEqual(expected.AsSpan(0, HeaderLength - 8))) return null;
            var singular = new double[key.Rank];
            var vocabBasis = new float[(long)key.Rank * key.Vocab];
            var hiddenBasis = new float[(long)key.Rank * key.Width];
            var hash = new XxHash3();
            // In file order: S_r, U_rᵀ, V_rᵀ.
            ReadPart(file, hash, MemoryMarshal.AsBytes(singular.AsSpan()));
            ReadPart(file, hash, MemoryMarshal.AsBytes(vocabBasis.AsSpan()));
            ReadPart(file, hash, MemoryMarshal.AsBytes(hiddenBasis.AsSpan()));
            return hash.GetCurrentHashAsUInt64() == BinaryPrimitives.ReadUInt64LittleEndian(header[^8..])
                ? new HeadFactors(key.Vocab, key.Width, key.Rank, vocabBasis, singular, hiddenBasis)
                : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Stores <paramref name="factors"/> under <paramref name="key"/>, atomically: readers see the old file or the whole
    /// new one. Where the folder cannot be written the engine works on without the cache, and says so once per process.
    /// </summary>
    public static void TryWrite(string modelDir, Key key, HeadFactors factors)
    {
        var path = PathIn(modelDir);
        var temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            ReadOnlySpan<byte> singular = MemoryMarshal.AsBytes(factors.Singular.AsSpan()),
                vocabBasis = MemoryMarshal.AsBytes(factors.VocabBasis.AsSpan()), hiddenBasis = MemoryMarshal.AsBytes(factors.HiddenBasis.AsSpan());
            var hash = new XxHash3();
            hash.Append(singular);
            hash.Append(vocabBasis);
            hash.Append(hiddenBasis);
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0))
            {
                file.Write(Header(key, hash.GetCurrentHashAsUInt64()));
                file.Write(singular);
                file.Write(vocabBasis);
                file.Write(hiddenBasis);
            }
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try { File.Delete(temporary); }
            catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException) { }
            // The engine has no warning channel of its own; the CLI's messages go to standard error too.
            if (Interlocked.Exchange(ref _warned, 1) == 0)
                Console.Error.WriteLine($"rollout: warning: cannot cache the output head's SVD in {Path.GetDirectoryName(path)} ({e.Message}); it is computed at every load");
        }
    }

    private static long PayloadLength(Key key) => 8L * key.Rank + 4L * key.Rank * ((long)key.Vocab + key.Width);

    private static void ReadPart(Stream file, XxHash3 hash, Span<byte> bytes)
    {
        file.ReadExactly(bytes);
        hash.Append(bytes);
    }

    private static byte[] Header(Key key, ulong factorsHash)
    {
        var header = new byte[HeaderLength];
        var span = header.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(span, Magic);
        int at = 4;
        foreach (var value in new[] { FormatVersion, key.Vocab, key.Width, key.Rank, key.Oversampling, key.PowerIterations, key.Seed })
        {
            BinaryPrimitives.WriteInt32LittleEndian(span[at..], value);
            at += 4;
        }
        BinaryPrimitives.WriteUInt128LittleEndian(span[at..], key.HeadHash);
        BinaryPrimitives.WriteUInt64LittleEndian(span[(at + 16)..], factorsHash);
        return header;
    }
}
