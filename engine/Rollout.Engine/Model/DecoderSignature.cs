using System.Text.RegularExpressions;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Rollout.Engine.Model;

/// <summary>
/// The inputs and outputs of an Optimum-layout decoder, read from the session rather than
/// assumed: which KV names exist, their head count and width, whether <c>position_ids</c> is fed,
/// and the element types. Fixed dimensions in the graph win over config.json. <see cref="SharesKvBuffer"/>: a fused
/// graph (ONNX Runtime's GroupQueryAttention, as GenAI's model builder writes) whose past and present are one buffer
/// of fixed capacity written in place, each row's positions counted by its attention mask's ones (right padding).
/// </summary>
internal sealed partial record DecoderSignature(
    int Layers,
    int KvHeads,
    int HeadDim,
    bool HasPositionIds,
    TensorElementType KvType,
    TensorElementType LogitsType,
    IReadOnlyList<string> PastNames,
    IReadOnlyList<string> PresentNames,
    bool SharesKvBuffer = false)
{
    public const string InputIds = "input_ids";
    public const string AttentionMask = "attention_mask";
    public const string PositionIds = "position_ids";
    public const string Logits = "logits";

    [GeneratedRegex(@"^past_key_values\.(\d+)\.(key|value)$")]
    private static partial Regex PastName();

    /// <param name="logitsOnHost">Whether the session computes the logits (float32) itself, so the graph has no logits output.</param>
    public static DecoderSignature Read(InferenceSession session, ModelConfig config, string modelPath, bool sharesKvBuffer, bool logitsOnHost = false)
    {
        var inputs = session.InputMetadata;
        foreach (var required in new[] { InputIds, AttentionMask })
            if (!inputs.ContainsKey(required))
                throw new InputException($"{modelPath}: the graph has no '{required}' input (expected Optimum's decoder-with-past layout)");
        if (!session.OutputMetadata.TryGetValue(Logits, out var logits) && !logitsOnHost)
            throw new InputException($"{modelPath}: the graph has no 'logits' output");

        var layers = inputs.Keys.Select(n => PastName().Match(n)).Where(m => m.Success)
            .Select(m => int.Parse(m.Groups[1].Value)).Distinct().Order().ToList();
        if (layers.Count == 0)
            throw new InputException($"{modelPath}: the graph has no 'past_key_values.N.key' inputs (export it with past, e.g. Optimum's text-generation-with-past)");
        if (layers.Count != config.Layers || layers[^1] != layers.Count - 1)
            throw new InputException($"{modelPath}: the graph has KV inputs for {layers.Count} layers, config.json says {config.Layers}");

        var past = new List<string>();
        var present = new List<string>();
        foreach (var i in layers)
            foreach (var kind in new[] { "key", "value" })
            {
                past.Add($"past_key_values.{i}.{kind}");
                var presentName = $"present.{i}.{kind}";
                if (!session.OutputMetadata.ContainsKey(presentName))
                    throw new InputException($"{modelPath}: the graph has no '{presentName}' output");
                present.Add(presentName);
            }

        var key0 = inputs[past[0]];
        int Dim(int axis, int fallback) => key0.Dimensions.Length == 4 && key0.Dimensions[axis] > 0 ? key0.Dimensions[axis] : fallback;
        return new DecoderSignature(
            Layers: layers.Count,
            KvHeads: Dim(1, config.KvHeads),
            HeadDim: Dim(3, config.HeadDim),
            HasPositionIds: inputs.ContainsKey(PositionIds),
            KvType: key0.ElementDataType,
            LogitsType: logits?.ElementDataType ?? TensorElementType.Float,
            PastNames: past,
            PresentNames: present,
            SharesKvBuffer: sharesKvBuffer);
    }
}
