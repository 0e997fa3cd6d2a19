using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;

namespace Rollout.Models.Onnx;

/// <summary>
/// Saves a model whose weights the <see cref="GraphBuilder"/> kept aside: inline when they fit
/// under the threshold, else in ONNX external data (<c>model.onnx.data</c> beside the model).
/// External weights stream from their float arrays to the file in chunks, so no tensor is copied whole.
/// </summary>
internal static class OnnxFileWriter
{
    /// <summary>Offsets in the data file are aligned so runtimes may memory-map each tensor.</summary>
    private const int Alignment = 4096;
    private const int ChunkElements = 1 << 20;

    public static void Write(ModelProto model, IReadOnlyList<(TensorProto Tensor, float[] Data)> weights,
        bool float16, string path, long externalDataThreshold)
    {
        int width = float16 ? 2 : 4;
        long total = weights.Sum(w => (long)w.Data.Length * width);
        string dataName = Path.GetFileName(path) + ".data";
        string dataPath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, dataName);
        if (total <= externalDataThreshold)
        {
            foreach (var (tensor, data) in weights)
            {
                using var bytes = new MemoryStream(data.Length * width);
                WriteEncoded(bytes, data, float16);
                tensor.RawData = ByteString.CopyFrom(bytes.GetBuffer(), 0, (int)bytes.Length);
            }
            if (File.Exists(dataPath)) File.Delete(dataPath);
        }
        else
        {
            using var stream = File.Create(dataPath);
            foreach (var (tensor, data) in weights)
            {
                stream.Write(new byte[(Alignment - stream.Position % Alignment) % Alignment]);
                long offset = stream.Position;
                WriteEncoded(stream, data, float16);
                tensor.DataLocation = TensorProto.Types.DataLocation.External;
                tensor.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = dataName });
                tensor.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString() });
                tensor.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = (stream.Position - offset).ToString() });
            }
        }
        using var file = File.Create(path);
        model.WriteTo(file);
    }

    /// <summary>Little-endian float32 or IEEE half bytes of <paramref name="data"/>.</summary>
    private static void WriteEncoded(Stream stream, float[] data, bool float16)
    {
        var halves = float16 ? new Half[Math.Min(ChunkElements, data.Length)] : null;
        for (int start = 0; start < data.Length; start += ChunkElements)
        {
            var chunk = data.AsSpan(start, Math.Min(ChunkElements, data.Length - start));
            if (halves == null) { stream.Write(MemoryMarshal.AsBytes(chunk)); continue; }
            for (int i = 0; i < chunk.Length; i++) halves[i] = (Half)chunk[i];
            stream.Write(MemoryMarshal.AsBytes(halves.AsSpan(0, chunk.Length)));
        }
    }
}
