using Onnx;
using Rollout.Engine;
using Rollout.Engine.Model;
using Rollout.Models.Weights;

namespace Rollout.Models.Onnx;

/// <summary>
/// Writes a decoder as one ONNX graph in the layout <see cref="DecoderExportOptions.Graph"/> names:
/// Optimum's merged decoder with past (<see cref="OptimumDecoderGraph"/>) or ONNX Runtime GenAI's
/// fused layout with a shared KV buffer (<see cref="FusedDecoderGraph"/>). Both name their inputs and outputs alike.
/// </summary>
public static class DecoderGraphWriter
{
    public const int Opset = 17;

    /// <summary>The graph value holding the final-norm output (the head's input): a graph output of the fused layout; callers add it to the optimum one.</summary>
    public const string FinalHiddenName = "last_hidden_state";

    public static string PastKey(int layer) => $"past_key_values.{layer}.key";
    public static string PastValue(int layer) => $"past_key_values.{layer}.value";
    public static string PresentKey(int layer) => $"present.{layer}.key";
    public static string PresentValue(int layer) => $"present.{layer}.value";

    /// <summary>Whether the written graph has a position_ids input: fused graphs only for GPT-2's learned positions (GroupQueryAttention derives rotary positions itself).</summary>
    public static bool HasPositionIds(ModelConfig c, DecoderExportOptions options) =>
        options.Graph == DecoderGraphLayout.Fused ? c.Architecture == Architecture.Gpt2 : options.PositionIdsInput;

    /// <summary>Why <paramref name="c"/> cannot be written in the layout of <paramref name="options"/>, or null.</summary>
    public static string? Unsupported(ModelConfig c, DecoderExportOptions options) =>
        options.Graph == DecoderGraphLayout.Fused && FusedDecoderGraph.Unsupported(c) is string problem
            ? $"{problem}; the optimum graph (--graph optimum) takes any head size"
            : null;

    /// <summary>Writes <paramref name="onnxPath"/> (and <c>onnxPath.data</c> when the weights go external).</summary>
    public static void Write(ModelWeights weights, string onnxPath, DecoderExportOptions? options = null)
    {
        options ??= new DecoderExportOptions();
        if (Unsupported(weights.Config, options) is string problem) throw new InputException(problem);
        var g = new GraphBuilder(options.Dtype);
        var w = new GraphWeights(g, weights);
        var model = new ModelProto { IrVersion = 8, ProducerName = "rollout", Graph = g.Graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        if (options.Graph == DecoderGraphLayout.Fused)
        {
            FusedDecoderGraph.Build(g, w);
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = GraphBuilder.MicrosoftDomain, Version = 1 });
        }
        else OptimumDecoderGraph.Build(g, w, options.PositionIdsInput);
        OnnxFileWriter.Write(model, g.Weights, options.Dtype == WeightDtype.Float16, onnxPath, options.ExternalDataThreshold);
    }
}
