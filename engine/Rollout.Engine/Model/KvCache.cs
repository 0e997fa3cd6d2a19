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

    public void Dispose()
    {
        foreach (var value in _values) value.Dispose();
    }
}
