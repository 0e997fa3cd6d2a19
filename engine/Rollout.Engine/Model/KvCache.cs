using Microsoft.ML.OnnxRuntime;

namespace Rollout.Engine.Model;

/// <summary>
/// The past keys and values of a batch of sequences, as ONNX Runtime values shaped
/// [rows, kv_heads, length, head_dim], in <see cref="DecoderSignature.PastNames"/> order. One step's
/// <c>present</c> outputs become the next step's inputs without a copy; rows are copied only
/// when the batch changes shape (n samples fanned out of one prefill, finished rows dropped).
/// </summary>
public sealed class KvCache : IDisposable
{
    private readonly OrtValue[] _values;

    public int Rows { get; }
    public int Length { get; }
    public IReadOnlyList<OrtValue> Values => _values;

    internal KvCache(OrtValue[] values, int rows, int length)
    {
        _values = values;
        Rows = rows;
        Length = length;
    }

    public static KvCache Empty(DecoderSignature signature, int rows)
    {
        long[] shape = [rows, signature.KvHeads, 0, signature.HeadDim];
        var values = signature.PastNames
            .Select(_ => OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, signature.KvType, shape))
            .ToArray();
        return new KvCache(values, rows, 0);
    }

    /// <summary>A new cache whose row i is a copy of this cache's row <paramref name="rows"/>[i].</summary>
    public KvCache SelectRows(ReadOnlySpan<int> rows)
    {
        var selected = new OrtValue[_values.Length];
        for (int v = 0; v < _values.Length; v++)
        {
            var source = _values[v];
            var info = source.GetTensorTypeAndShape();
            long[] shape = [rows.Length, info.Shape[1], info.Shape[2], info.Shape[3]];
            var target = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, info.ElementDataType, shape);
            var from = source.GetTensorMutableRawData();
            var to = target.GetTensorMutableRawData();
            int rowBytes = Rows == 0 ? 0 : from.Length / Rows;
            for (int r = 0; r < rows.Length; r++)
                from.Slice(rows[r] * rowBytes, rowBytes).CopyTo(to.Slice(r * rowBytes, rowBytes));
            selected[v] = target;
        }
        return new KvCache(selected, rows.Length, Length);
    }

    /// <summary>
    /// A cache whose row i holds the first <c>Length</c> positions of row 0 of <paramref name="rows"/>[i].Source,
    /// zero-filled up to <paramref name="length"/> (the caller masks those positions out; zeros keep
    /// masked scores finite).
    /// </summary>
    public static KvCache Gather(IReadOnlyList<(KvCache Source, int Length)> rows, int length)
    {
        var first = rows[0].Source;
        var gathered = new OrtValue[first._values.Length];
        // One tensor per worker: the copies are memory-bound, and each tensor is a separate stretch of memory.
        Parallel.For(0, gathered.Length, v =>
        {
            var info = first._values[v].GetTensorTypeAndShape();
            long heads = info.Shape[1], headDim = info.Shape[3];
            var target = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, info.ElementDataType, [rows.Count, heads, length, headDim]);
            var to = target.GetTensorMutableRawData();
            int elementBytes = to.Length / (int)(rows.Count * heads * length * headDim);
            int rowBytes = length * (int)headDim * elementBytes;
            for (int r = 0; r < rows.Count; r++)
            {
                var (source, keep) = rows[r];
                var from = source._values[v].GetTensorMutableRawData();
                int sourceLength = source.Length;
                for (int h = 0; h < heads; h++)
                {
                    int bytes = keep * (int)headDim * elementBytes;
                    var row = to.Slice((int)((r * heads + h) * length * headDim) * elementBytes, rowBytes);
                    from.Slice((int)(h * sourceLength * headDim) * elementBytes, bytes).CopyTo(row);
                    row[bytes..].Clear();
                }
            }
            gathered[v] = target;
        });
        return new KvCache(gathered, rows.Count, length);
    }

    public void Dispose()
    {
        foreach (var value in _values) value.Dispose();
    }
}
