using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Onnx;

namespace Rollout.Engine.Model;

public enum ExecutionDevice { Cpu, Cuda }

/// <summary>
/// One ONNX Runtime session over a decoder-with-past graph: feeds token ids, the attention
/// mask, positions and the KV cache, and returns logits, the final hidden states and the new cache.
/// </summary>
public sealed class DecoderSession : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();

    public ModelConfig Config { get; }
    public DecoderSignature Signature { get; }
    public OutputHead Head { get; }
    public int VocabSize { get; }

    private DecoderSession(InferenceSession session, ModelConfig config, DecoderSignature signature, OutputHead head)
    {
        _session = session;
        Config = config;
        Signature = signature;
        Head = head;
        var logitsDims = session.OutputMetadata[DecoderSignature.Logits].Dimensions;
        VocabSize = logitsDims.Length == 3 && logitsDims[2] > 0 ? logitsDims[2] : config.VocabSize;
    }

    public static DecoderSession Load(string onnxPath, ModelConfig config, ExecutionDevice device = ExecutionDevice.Cpu)
    {
        if (!File.Exists(onnxPath)) throw new InputException($"{onnxPath}: ONNX model not found");
        ModelProto model;
        try
        {
            using var stream = File.OpenRead(onnxPath);
            model = ModelProto.Parser.ParseFrom(stream);
        }
        catch (InvalidProtocolBufferException e) { throw new InputException($"{onnxPath}: not an ONNX model ({e.Message})"); }

        OutputHead head;
        try { head = OutputHead.Find(model.Graph); }
        catch (FormatException e) { throw new InputException($"{onnxPath}: cannot find the output head: {e.Message}"); }
        head.ExposeHiddenStates(model.Graph);

        var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        // The edited graph is loaded from memory, so external weights are looked up beside the original file.
        options.AddSessionConfigEntry("session.model_external_initializers_file_folder_path",
            Path.GetDirectoryName(Path.GetFullPath(onnxPath))!);
        if (device == ExecutionDevice.Cuda)
        {
            try { options.AppendExecutionProvider_CUDA(0); }
            catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
            { throw new InputException($"--device cuda: the CUDA execution provider did not load ({FirstLine(e.Message)}); it needs an NVIDIA driver and the CUDA 13 libraries (libcudart, libcublas, libcublasLt, libcurand, cuDNN 9) on LD_LIBRARY_PATH"); }
        }

        InferenceSession session;
        try { session = new InferenceSession(model.ToByteArray(), options); }
        catch (OnnxRuntimeException e) { throw new InputException($"{onnxPath}: ONNX Runtime cannot load the model ({FirstLine(e.Message)})"); }
        try { return new DecoderSession(session, config, DecoderSignature.Read(session, config, onnxPath), head); }
        catch { session.Dispose(); throw; }
    }

    /// <summary>
    /// Runs <paramref name="newTokens"/> positions for each of <paramref name="past"/>'s rows.
    /// <paramref name="inputIds"/> and <paramref name="positionIds"/> are [rows, newTokens];
    /// <paramref name="attentionMask"/> is [rows, past.Length + newTokens].
    /// </summary>
    public DecoderStep Run(long[] inputIds, long[] attentionMask, long[] positionIds, int newTokens, KvCache past, bool withHiddenStates)
    {
        int rows = past.Rows;
        var names = new List<string>(3 + Signature.PastNames.Count);
        var values = new List<OrtValue>(names.Capacity);
        var owned = new List<OrtValue>(3);
        void Add(string name, OrtValue value, bool own)
        {
            names.Add(name);
            values.Add(value);
            if (own) owned.Add(value);
        }
        Add(DecoderSignature.InputIds, OrtValue.CreateTensorValueFromMemory(inputIds, [rows, newTokens]), true);
        Add(DecoderSignature.AttentionMask, OrtValue.CreateTensorValueFromMemory(attentionMask, [rows, past.Length + newTokens]), true);
        if (Signature.HasPositionIds)
            Add(DecoderSignature.PositionIds, OrtValue.CreateTensorValueFromMemory(positionIds, [rows, newTokens]), true);
        for (int i = 0; i < Signature.PastNames.Count; i++) Add(Signature.PastNames[i], past.Values[i], false);

        var outputNames = new List<string> { DecoderSignature.Logits };
        outputNames.AddRange(Signature.PresentNames);
        if (withHiddenStates) outputNames.Add(Head.HiddenStates);
        try
        {
            var outputs = _session.Run(_runOptions, names, values, outputNames);
            var present = new KvCache(outputs.Skip(1).Take(Signature.PresentNames.Count).ToArray(), rows, past.Length + newTokens);
            return new DecoderStep(outputs[0], withHiddenStates ? outputs[^1] : null, present, rows, newTokens, VocabSize);
        }
        finally
        {
            foreach (var value in owned) value.Dispose();
        }
    }

    public void Dispose()
    {
        _runOptions.Dispose();
        _session.Dispose();
    }

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();
}

/// <summary>One forward step's outputs. Logits are read per (row, position); fp16 models are widened once.</summary>
public sealed class DecoderStep : IDisposable
{
    private readonly OrtValue _logits;
    private readonly OrtValue? _hidden;
    private readonly float[]? _widenedLogits;
    private readonly int _newTokens;

    public KvCache Present { get; }
    public int VocabSize { get; }
    public int HiddenSize { get; }

    internal DecoderStep(OrtValue logits, OrtValue? hidden, KvCache present, int rows, int newTokens, int vocabSize)
    {
        _logits = logits;
        _hidden = hidden;
        _newTokens = newTokens;
        Present = present;
        VocabSize = vocabSize;
        var shape = logits.GetTensorTypeAndShape();
        if (shape.Shape.Length != 3 || shape.Shape[0] != rows || shape.Shape[1] != newTokens)
            throw new InvalidOperationException($"logits shaped [{string.Join(',', shape.Shape)}], expected [{rows},{newTokens},V]");
        VocabSize = (int)shape.Shape[2];
        if (shape.ElementDataType == TensorElementType.Float16)
        {
            var half = logits.GetTensorDataAsSpan<Float16>();
            _widenedLogits = new float[half.Length];
            for (int i = 0; i < half.Length; i++) _widenedLogits[i] = (float)half[i].ToFloat();
        }
        if (hidden != null) HiddenSize = (int)hidden.GetTensorTypeAndShape().Shape[2];
    }

    public ReadOnlySpan<float> Logits(int row, int position)
    {
        var all = _widenedLogits ?? _logits.GetTensorDataAsSpan<float>();
        return all.Slice((row * _newTokens + position) * VocabSize, VocabSize);
    }

    public ReadOnlySpan<float> HiddenStates(int row, int position)
    {
        if (_hidden == null) throw new InvalidOperationException("hidden states were not requested for this step");
        return _hidden.GetTensorDataAsSpan<float>().Slice((row * _newTokens + position) * HiddenSize, HiddenSize);
    }

    /// <summary>Disposes the step's logits and hidden states; <see cref="Present"/> lives on as the next step's past.</summary>
    public void Dispose()
    {
        _logits.Dispose();
        _hidden?.Dispose();
    }
}
