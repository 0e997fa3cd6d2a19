namespace Rollout.Models.Onnx;

/// <summary>Which decoder graph <see cref="DecoderGraphWriter"/> writes.</summary>
public enum DecoderGraphLayout
{
    /// <summary>Optimum's merged decoder with past, standard opset-17 operators: present is past plus the new keys, a new buffer each step.</summary>
    Optimum,

    /// <summary>
    /// ONNX Runtime GenAI's model-builder layout: com.microsoft GroupQueryAttention and fused norms, with past and
    /// present one preallocated buffer per layer and kind that the caller binds to both names.
    /// </summary>
    Fused,
}
