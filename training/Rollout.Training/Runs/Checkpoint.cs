using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Rollout.Engine;
using Rollout.Training.Updates;

namespace Rollout.Training.Runs;

/// <summary>
/// A run's state after an iteration: which iteration, the run's identity (so --resume refuses another run's folder),
/// and the policy's tensors (parameters and optimizer moments). The data position and every random draw follow from
/// (seed, iteration), so nothing else is kept. One file, written under a temporary name and renamed, so a run killed
/// at any moment leaves either the previous checkpoint or this one, whole.
/// </summary>
public sealed record Checkpoint(int Iteration, string Run, int Steps, IReadOnlyList<NamedTensor> Tensors)
{
    public const string FileName = "checkpoint.bin";

    private sealed record Header(
        [property: JsonPropertyName("iteration")] int Iteration,
        [property: JsonPropertyName("run")] string Run,
        [property: JsonPropertyName("steps")] int Steps,
        [property: JsonPropertyName("tensors")] IReadOnlyList<TensorEntry> Tensors);

    private sealed record TensorEntry([property: JsonPropertyName("name")] string Name, [property: JsonPropertyName("length")] int Length);

    public void Write(string folder)
    {
        var path = Path.Combine(folder, FileName);
        var temporary = path + ".tmp";
        var header = JsonSerializer.SerializeToUtf8Bytes(new Header(Iteration, Run, Steps, [.. Tensors.Select(t => new TensorEntry(t.Name, t.Values.Length))]));
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write))
        {
            file.Write(BitConverter.GetBytes(header.Length));
            file.Write(header);
            foreach (var tensor in Tensors) file.Write(MemoryMarshal.AsBytes(tensor.Values.AsSpan()));
            file.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The checkpoint in <paramref name="folder"/>, or null when there is none.</summary>
    public static Checkpoint? Read(string folder)
    {
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path)) return null;
        try
        {
            using var file = File.OpenRead(path);
            Span<byte> length = stackalloc byte[4];
            file.ReadExactly(length);
            var headerBytes = new byte[BitConverter.ToInt32(length)];
            file.ReadExactly(headerBytes);
            var header = JsonSerializer.Deserialize<Header>(headerBytes) ?? throw new InvalidDataException("empty header");
            var tensors = header.Tensors.Select(t =>
            {
                var values = new float[t.Length];
                file.ReadExactly(MemoryMarshal.AsBytes(values.AsSpan()));
                return new NamedTensor(t.Name, values);
            }).ToList();
            return new Checkpoint(header.Iteration, header.Run, header.Steps, tensors);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or JsonException or ArgumentException or EndOfStreamException)
        {
            throw new InputException($"{path}: not a readable checkpoint ({e.Message})");
        }
    }

    public float[] Tensor(string name) =>
        Tensors.FirstOrDefault(t => t.Name == name)?.Values ?? throw new InputException($"{FileName}: no tensor '{name}'");
}
