using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Rollout.Interop.Memory;

namespace Rollout.Engine.Model;

/// <summary>
/// The past keys and values of a batch of sequences, as ONNX Runtime values shaped
/// [rows, kv_heads, length, head_dim], in <see cref="DecoderSignature.PastNames"/> order, living in their
/// session's <see cref="TensorMemory"/> (host, or the CUDA device). One step's <c>present</c> outputs become the
/// next step's inputs without a copy; rows are copied only when the batch changes shape (n samples fanned out of
/// one prefill, finished rows dropped, answer probes gathered).
/// </summary>
internal sealed class KvCache : IDisposable
{
    private readonly OrtValue[] _values;

    public int Rows { get; }
    public int Length { get; }
    public TensorMemory Memory { get; }
    public IReadOnlyList<OrtValue> Values => _values;

    internal KvCache(OrtValue[] values, int rows, int length, TensorMemory memory)
    {
        _values = values;
        Rows = rows;
        Length = length;
        Memory = memory;
    }

    /// <summary>A cache of no positions (the past of a prefill); empty, so it can be on the host whatever the session.</summary>
    public static KvCache Empty(DecoderSignature signature, int rows)
    {
        long[] shape = [rows, signature.KvHeads, 0, signature.HeadDim];
        var values = signature.PastNames.Select(_ => TensorMemory.Host.Allocate(signature.KvType, shape)).ToArray();
        return new KvCache(values, rows, 0, TensorMemory.Host);
    }

    /// <summary>A new cache whose row i is a copy of this cache's row <paramref name="rows"/>[i].</summary>
    public KvCache SelectRows(ReadOnlySpan<int> rows)
    {
        var selected = new OrtValue[_values.Length];
        for (int v = 0; v < _values.Length; v++)
        {
            var info = _values[v].GetTensorTypeAndShape();
            selected[v] = Memory.Allocate(info.ElementDataType, [rows.Length, info.Shape[1], info.Shape[2], info.Shape[3]]);
            long rowBytes = Rows == 0 ? 0 : ElementBytes(info) * info.ElementCount / Rows;
            var ranges = new ByteRange[rows.Length];
            for (int r = 0; r < rows.Length; r++) ranges[r] = new ByteRange(rows[r] * rowBytes, r * rowBytes, rowBytes);
            Memory.Copy(_values[v], selected[v], ranges);
        }
        Memory.Complete();
        return new KvCache(selected, rows.Length, Length, Memory);
    }

    /// <summary>
    /// A cache whose row i holds the first <c>Length</c> positions of row 0 of <paramref name="rows"/>[i].Source,
    /// zero-filled up to <paramref name="length"/> (the caller masks those positions out; zeros keep
    /// masked scores finite). The sources share one memory.
    /// </summary>
    public static KvCache Gather(IReadOnlyList<(KvCache Source, int Length)> rows, int length)
    {
        var first = rows[0].Source;
        var memory = first.Memory;
        var gathered = new OrtValue[first._values.Length];
        // One tensor per worker: on the host the copies are memory-bound, and each tensor is a separate stretch of memory.
        Parallel.For(0, gathered.Length, v =>
        {
            var info = first._values[v].GetTensorTypeAndShape();
            long heads = info.Shape[1], headDim = info.Shape[3], elementBytes = ElementBytes(info);
            gathered[v] = memory.Allocate(info.ElementDataType, [rows.Count, heads, length, headDim]);
            long targetRowBytes = length * headDim * elementBytes;
            var padding = new ByteRange[rows.Count * heads];
            var kept = new ByteRange[heads];
            for (int r = 0; r < rows.Count; r++)
            {
                var (source, keep) = rows[r];
                long keptBytes = keep * headDim * elementBytes;
                for (int h = 0; h < heads; h++)
                {
                    long target = (r * heads + h) * targetRowBytes;
                    kept[h] = new ByteRange(h * source.Length * headDim * elementBytes, target, keptBytes);
                    padding[r * heads + h] = new ByteRange(0, target + keptBytes, targetRowBytes - keptBytes);
                }
                memory.Copy(source._values[v], gathered[v], kept);
            }
            memory.Zero(gathered[v], padding);
        });
        memory.Complete();
        return new KvCache(gathered, rows.Count, length, memory);
    }

    public void Dispose()
    {
        foreach (var value in _values) value.Dispose();
    }

    private static long ElementBytes(OrtTensorTypeAndShapeInfo info) =>
        info.ElementDataType switch
        {
            TensorElementType.Float => 4,
            TensorElementType.Float16 or TensorElementType.BFloat16 => 2,
            var other => throw new NotSupportedException($"KV cache of {other} values"),
        };
}
