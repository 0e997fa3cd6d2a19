namespace Rollout.Models.Onnx;

/// <summary>Choices for <see cref="DecoderGraphWriter"/>.</summary>
public sealed record DecoderExportOptions
{
    /// <summary>2 GB: below protobuf's 2 GiB message limit with room for the graph itself.</summary>
    public const long DefaultExternalDataThreshold = 2_000_000_000;

    public WeightDtype Dtype { get; init; } = WeightDtype.Float32;

    public DecoderGraphLayout Graph { get; init; } = DecoderGraphLayout.Optimum;

    /// <summary>
    /// False omits the position_ids input, as older GPT-2 exports do; positions then come from
    /// the attention mask (cumulative sum − 1, padding at 1), as Hugging Face computes them.
    /// The fused layout ignores it: GroupQueryAttention derives rotary positions itself, and fused GPT-2 always reads position_ids.
    /// </summary>
    public bool PositionIdsInput { get; init; } = true;

    /// <summary>Weights larger than this in total go to <c>model.onnx.data</c> beside the model (ONNX external data).</summary>
    public long ExternalDataThreshold { get; init; } = DefaultExternalDataThreshold;
}
