using Onnx;

namespace Rollout.Engine.Model;

/// <summary>
/// Reads the output head W (V×d, row v = the weights of token v) from the ONNX initializer that
/// feeds the logits. Exports store it either as [d, V] for MatMul or as [V, d] behind a Transpose
/// (or Gemm transB, or the tied embedding); Casts from fp16 are looked through, and external data
/// is read from beside the model. Only the head's bytes are read (<see cref="OnnxInitializers"/>): the session
/// already holds the model, and a second whole copy would double the memory at the first L2T step. The values are
/// kept as stored (<see cref="Stored"/>), so a caller that needs only their hash (<see cref="HeadFactorCache"/>) skips
/// the transpose.
/// </summary>
internal sealed class HeadWeights
{
    /// <summary>The head's values as its initializer holds them: W (V×d) when <see cref="StoredAsColumns"/> is false, else Wᵀ (d×V).</summary>
    public float[] Stored { get; }

    /// <summary>Whether <see cref="Stored"/> is Wᵀ, [d, V] as MatMul reads it.</summary>
    public bool StoredAsColumns { get; }

    /// <summary>Whether the values came from the session's replacements rather than the model file.</summary>
    public bool Replaced { get; }

    public int Vocab { get; }
    public int Hidden { get; }

    /// <summary>The initializer the values come from (a tied head's is the embedding's).</summary>
    public string Name { get; }

    private HeadWeights(string name, float[] stored, bool storedAsColumns, bool replaced, int vocab, int hidden)
    {
        Name = name;
        Stored = stored;
        StoredAsColumns = storedAsColumns;
        Replaced = replaced;
        Vocab = vocab;
        Hidden = hidden;
    }

    /// <summary>W (V×d, row-major, row v = token v's weights).</summary>
    public float[] Matrix()
    {
        if (!StoredAsColumns) return Stored;
        var w = new float[Stored.Length];
        for (int i = 0; i < Hidden; i++)
            for (int j = 0; j < Vocab; j++) w[(long)j * Hidden + i] = Stored[(long)i * Vocab + j];
        return w;
    }

    /// <param name="vocab">V, checked against the stored shape; null takes it from there.</param>
    /// <param name="overrides">Initializers the session runs with instead of the file's (<see cref="DecoderSession.UpdateWeights"/>): the head is read from there when it is among them.</param>
    public static HeadWeights Read(string onnxPath, int? vocab, int hidden, IReadOnlyDictionary<string, float[]>? overrides = null)
    {
        var stored = Locate(onnxPath, vocab, hidden);
        bool replaced = overrides != null && overrides.ContainsKey(stored.Name);
        var data = replaced ? overrides![stored.Name] : stored.Initializers.Read(stored.Name);
        return new HeadWeights(stored.Name, data, stored.StoredAsColumns, replaced, stored.Vocab, hidden);
    }

    /// <summary>
    /// Where the head's values are, without reading them: the model's initializers, the one the head comes from, whether
    /// it holds Wᵀ ([d, V]) rather than W ([V, d]), and V. The shape is checked against d (and <paramref name="vocab"/>, if given).
    /// </summary>
    public static (OnnxInitializers Initializers, string Name, bool StoredAsColumns, int Vocab) Locate(string onnxPath, int? vocab, int hidden)
    {
        var initializers = OnnxInitializers.Open(onnxPath);
        var (name, transposed) = OutputHead.StoredWeight(initializers.Graph, OutputHead.Find(initializers.Graph).Weight, initializers.Contains, onnxPath);
        var dims = initializers.Shape(name);
        // MatMul(h, X) needs X as [d, V]: an odd number of transposes means the stored tensor is [V, d].
        long storedVocab = dims.Length == 2 ? dims[transposed ? 0 : 1] : -1;
        long[] expected = transposed ? [vocab ?? storedVocab, hidden] : [hidden, vocab ?? storedVocab];
        if (!dims.SequenceEqual(expected))
            throw new InputException($"{onnxPath}: head weight '{name}' is [{string.Join(',', dims)}], expected [{string.Join(',', expected)}]");
        return (initializers, name, !transposed, (int)storedVocab);
    }
}
