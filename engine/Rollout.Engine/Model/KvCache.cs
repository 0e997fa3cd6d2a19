using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Rollout.Interop.Memory;

namespace Rollout.Engine.Model;

/// <summary>
/// The past keys and values of a batch of sequences, as ONNX Runtime values shaped
/// [rows, kv_heads, capacity, head_dim], in <see cref="DecoderSignature.PastNames"/> order, living in their
/// session's <see cref="TensorMemory"/> (host, or the CUDA device).
/// <list type="bullet">
/// <item>Optimum-layout graphs concatenate: a step's <c>present</c> outputs are new values one position longer, which
/// become the next step's past without a copy; the capacity is the length.</item>
/// <item>Fused graphs (<see cref="DecoderSignature.SharesKvBuffer"/>) write each step's keys in place into one buffer
/// of fixed capacity, each row at its own length (the attention mask's ones count a row's positions).</item>
/// </list>
/// Rows are copied only when a batch changes shape (n samples fanned out of one prefill, rows leaving or joining,
/// answer probes gathered).
/// </summary>
internal sealed class KvCache : IDisposable
{
    private readonly OrtValue[] _values;

    public int Rows { get; }
    /// <summary>Positions held: of every row (Optimum layout), or the widest row's (a fused graph's buffer).</summary>
    public int Length { get; private set; }
    /// <summary>Positions each row has room for.</summary>
    public int Capacity { get; }
    public TensorMemory Memory { get; }
    public IReadOnlyList<OrtValue> Values => _values;

    internal KvCache(OrtValue[] values, int rows, int length, TensorMemory memory)
    {
        _values = values;
        Rows = rows;
        Length = length;
        Memory = memory;
        Capacity = values.Length == 0 ? length : (int)values[0].GetTensorTypeAndShape().Shape[2];
    }

    /// <summary>A cache of no positions (the past of a prefill); empty, so it can be on the host whatever the session.</summary>
    public static KvCache Empty(DecoderSignature signature, int rows)
    {
        long[] shape = [rows, signature.KvHeads, 0, signature.HeadDim];
        var values = signature.PastNames.Select(_ => TensorMemory.Host.Allocate(signature.KvType, shape)).ToArray();
        return new KvCache(values, rows, 0, TensorMemory.Host);
    }

    /// <summary>An empty buffer with room for <paramref name="capacity"/> positions per row, zeroed (a fused graph's past and present).</summary>
    public static KvCache Buffer(DecoderSignature signature, TensorMemory memory, int rows, int capacity)
    {
        long[] shape = [rows, signature.KvHeads, capacity, signature.HeadDim];
        var values = signature.PastNames.Select(_ => memory.Allocate(signature.KvType, shape)).ToArray();
        var cache = new KvCache(values, rows, 0, memory);
        for (int v = 0; v < values.Length; v++) memory.Zero(values[v], [new ByteRange(0, 0, rows * cache.RowBytes(v))]);
        memory.Complete();
        return cache;
    }

    /// <summary>The same memory seen as its first <paramref name="rows"/> rows, holding <paramref name="length"/> positions; no copy, and it frees nothing (this cache must outlive it).</summary>
    public KvCache Prefix(int rows, int length)
    {
        var views = _values.Select(v =>
        {
            var shape = v.GetTensorTypeAndShape().Shape;
            return TensorMemory.Prefix(v, [rows, shape[1], shape[2], shape[3]]);
        }).ToArray();
        return new KvCache(views, rows, length, Memory);
    }

    /// <summary>Notes that a fused graph's run wrote this buffer's positions up to <paramref name="width"/>.</summary>
    public void Wrote(int width) => Length = Math.Max(Length, width);

    /// <summary>A new cache whose row i is a copy of this cache's row <paramref name="rows"/>[i].</summary>
    public KvCache SelectRows(ReadOnlySpan<int> rows)
    {
        var selected = new OrtValue[_values.Length];
        for (int v = 0; v < _values.Length; v++)
        {
            long rowBytes = RowBytes(v);
            var info = _values[v].GetTensorTypeAndShape();
            selected[v] = Memory.Allocate(info.ElementDataType, [rows.Length, info.Shape[1], info.Shape[2], info.Shape[3]]);
            var ranges = new ByteRange[rows.Length];
            for (int r = 0; r < rows.Length; r++) ranges[r] = new ByteRange(rows[r] * rowBytes, r * rowBytes, rowBytes);
            Memory.Copy(_values[v], selected[v], ranges);
        }
        Memory.Complete();
        return new KvCache(selected, rows.Length, Length, Memory);
    }

    /// <summary>
    /// A cache whose row i holds the first <c>Length</c> positions of row <c>Row</c> of <paramref name="rows"/>[i].Source,
    /// zero-filled up to <paramref name="capacity"/> (the caller masks those positions out, or a fused graph writes
    /// there; zeros keep masked scores finite). The sources share one memory.
    /// </summary>
    public static KvCache Gather(IReadOnlyList<(KvCache Source, int Row, int Length)> rows, int capacity)
    {
        var first = rows[0].Source;
        var gathered = new OrtValue[first._values.Length];
        for (int v = 0; v < gathered.Length; v++)
        {
            var shape = first._values[v].GetTensorTypeAndShape().Shape;
            gathered[v] = first.Memory.Allocate(first._values[v].GetTensorTypeAndShape().ElementDataType, [rows.Count, shape[1], capacity, shape[3]]);
        }
        var result = new KvCache(gathered, rows.Count, capacity, first.Memory);
        for (int r = 0; r < rows.Count; r++) result.Place(r, rows[r].Source, rows[r].Row, rows[r].Length, zeroRest: true);
        first.Memory.Complete();
        return result;
    }

    /// <summary>Copies the first <paramref name="length"/> positions of <paramref name="source"/>'s row <paramref name="sourceRow"/> into this cache's row <paramref name="row"/> (joining a row to a fused graph's buffer).</summary>
    public void CopyRow(int row, KvCache source, int sourceRow, int length)
    {
        Place(row, source, sourceRow, length, zeroRest: false);
        Memory.Complete();
    }

    /// <summary>
    /// Row <paramref name="row"/>'s first <paramref name="length"/> positions from the source's row, each head's
    /// stretch one range; with <paramref name="zeroRest"/>, the rest of the row zeroed. One tensor per worker: on the
    /// host the copies are memory-bound, and each tensor is a separate stretch of memory.
    /// </summary>
    private void Place(int row, KvCache source, int sourceRow, int length, bool zeroRest)
    {
        if (length > Capacity || length > source.Capacity)
            throw new ArgumentOutOfRangeException(nameof(length), $"{length} positions into rows of {Capacity} from rows of {source.Capacity}");
        Parallel.For(0, _values.Length, v =>
        {
            var info = _values[v].GetTensorTypeAndShape();
            long heads = info.Shape[1], positionBytes = info.Shape[3] * ElementBytes(info);
            var kept = new ByteRange[heads];
            var rest = new ByteRange[heads];
            for (int h = 0; h < heads; h++)
            {
                long from = ((sourceRow * heads + h) * source.Capacity) * positionBytes;
                long to = ((row * heads + h) * Capacity) * positionBytes;
                kept[h] = new ByteRange(from, to, length * positionBytes);
                rest[h] = new ByteRange(0, to + length * positionBytes, (Capacity - length) * positionBytes);
            }
            Memory.Copy(source._values[v], _values[v], kept);
            if (zeroRest) Memory.Zero(_values[v], rest);
        });
    }

    /// <summary>Bytes of one row of tensor <paramref name="v"/>.</summary>
    private long RowBytes(int v)
    {
        var info = _values[v].GetTensorTypeAndShape();
        return info.Shape[1] * info.Shape[2] * info.Shape[3] * ElementBytes(info);
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
