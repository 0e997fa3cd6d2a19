using Microsoft.ML.OnnxRuntime;

namespace Rollout.Interop.Buffers;

/// <summary>
/// Caller-owned tensors a decoder step writes its outputs into instead of memory ONNX Runtime allocates:
/// <c>logits</c> [rows, positions, V] and, when given, the final hidden states [rows, positions, d].
/// Both float32; their shape must be the step's exactly.
/// </summary>
public sealed record StepOutputTargets(OrtValue Logits, OrtValue? HiddenStates);
