using System.Buffers;
using System.Diagnostics;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Onnx;
using Rollout.Interop.Buffers;
using Rollout.Interop.Cuda;
using Rollout.Interop.Memory;

namespace Rollout.Engine.Model;

public enum ExecutionDevice { Cpu, Cuda }

/// <summary>
/// One ONNX Runtime session over a decoder-with-past graph: feeds token ids, the attention
/// mask, positions and the KV cache, and returns logits, the final hidden states and the new cache.
/// Its weights can be replaced (<see cref="UpdateWeights"/>): the session is then re-created over the same edited graph.
/// </summary>
internal sealed class DecoderSession : IDisposable
{
    private InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly SharedCudaContext? _sharedContext;
    private readonly string _onnxPath;
    /// <summary>ONNX Runtime's threads within one run; 0: its default (one per core).</summary>
    private readonly int _intraOpThreads;
    /// <summary>The edited graph, kept while the session lives so new weights need no second edit.</summary>
    private readonly EditedModel _edited;
    /// <summary>The graph's initializers: shape and element type, what replacements are checked against.</summary>
    private readonly Dictionary<string, (long[] Dims, int DataType)> _initializers;
    /// <summary>Replaced initializers: ONNX Runtime reads them in place, so they live as long as the session they went into.</summary>
    private Dictionary<string, (float[] Data, OrtValue Value)> _overrides = new();
    /// <summary>The head's product when the session computes the logits itself (<see cref="OutputHead.Detached"/>); else null.</summary>
    private readonly HostHead? _hostHead;
    /// <summary>The initializers <see cref="_hostHead"/> was packed from: its weight's (a tied head's is the embedding's) and its bias's.</summary>
    private readonly string[] _hostHeadInputs;

    public ModelConfig Config { get; }
    public ExecutionDevice Device { get; }

    /// <summary>Where this session's KV cache lives: the host, or the CUDA device for a CUDA session.</summary>
    public TensorMemory KvMemory { get; private set; }
    public DecoderSignature Signature { get; }
    public OutputHead Head { get; }
    public int VocabSize { get; }

    /// <summary>The element type of <see cref="OutputHead.HiddenStates"/> (float32, or float16 in fp16 models).</summary>
    public TensorElementType HiddenStatesType { get; }

    /// <summary>Whether steps can write into <see cref="StepOutputTargets"/>: they are float32, so the model's outputs must be.</summary>
    public bool CanWriteIntoTargets => Signature.LogitsType == TensorElementType.Float && HiddenStatesType == TensorElementType.Float;

    private DecoderSession(InferenceSession session, ModelConfig config, DecoderSignature signature, OutputHead head,
        ExecutionDevice device, SharedCudaContext? sharedContext, string onnxPath, int intraOpThreads, EditedModel edited,
        Dictionary<string, (long[] Dims, int DataType)> initializers, (HostHead Head, string[] Inputs)? hostHead)
    {
        _session = session;
        _intraOpThreads = intraOpThreads;
        _sharedContext = sharedContext;
        _onnxPath = onnxPath;
        _edited = edited;
        _initializers = initializers;
        Device = device;
        KvMemory = KvMemoryOf(session);
        Config = config;
        Signature = signature;
        Head = head;
        _hostHead = hostHead?.Head;
        _hostHeadInputs = hostHead?.Inputs ?? [];
        var logitsDims = _hostHead != null ? [] : session.OutputMetadata[DecoderSignature.Logits].Dimensions;
        VocabSize = _hostHead?.Vocab ?? (logitsDims.Length == 3 && logitsDims[2] > 0 ? logitsDims[2] : config.VocabSize);
        HiddenStatesType = session.OutputMetadata[head.HiddenStates].ElementDataType;
    }

    /// <param name="sharedContext">With <see cref="ExecutionDevice.Cuda"/>: run on ILGPU's CUDA context and stream
    /// (checked), so steps can write into ILGPU's CUDA buffers. Not owned; it must outlive the session, and the
    /// session must be created and run on one thread.</param>
    /// <param name="intraOpThreads">ONNX Runtime's threads within one run (0: one per core); fewer where several runs go at once (decode lanes).</param>
    /// <param name="headOnHost">On the CPU, whether to compute the logits with <see cref="HostHead"/> rather than the
    /// graph's MatMul, where the head allows it (<see cref="OutputHead.CanDetach"/>) and the machine has AVX-512: null
    /// for heads of <see cref="HostHead.MinimumWeights"/> or more, true for any, false for none.</param>
    public static DecoderSession Load(string onnxPath, ModelConfig config, ExecutionDevice device = ExecutionDevice.Cpu,
        SharedCudaContext? sharedContext = null, int intraOpThreads = 0, bool? headOnHost = null)
    {
        if (sharedContext != null && device != ExecutionDevice.Cuda)
            throw new ArgumentException("a shared CUDA context needs ExecutionDevice.Cuda", nameof(sharedContext));
        var (edited, head, initializers, fused) = WithHiddenStatesOutput(onnxPath,
            detachHead: device == ExecutionDevice.Cpu && HostHead.Supported ? headOnHost : false);
        try
        {
            // The parsed graph is garbage now; collect it, and give its memory back to the system, before ONNX Runtime
            // makes its own copy of the weights (peak memory).
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            var session = CreateSession(edited, onnxPath, device, sharedContext, intraOpThreads, new Dictionary<string, (float[], OrtValue)>());
            try
            {
                var hostHead = head.Detached ? PackHostHead(onnxPath, head, config.Hidden, new Dictionary<string, float[]>()) : ((HostHead, string[])?)null;
                return new DecoderSession(session, config, DecoderSignature.Read(session, config, onnxPath, fused, logitsOnHost: head.Detached), head,
                    device, sharedContext, onnxPath, intraOpThreads, edited, initializers, hostHead);
            }
            catch { session.Dispose(); throw; }
        }
        catch { edited.Dispose(); throw; }
    }

    /// <summary>
    /// Packs the head's weights and bias (<see cref="HostHead"/>) as the session runs them: the replaced ones where
    /// <paramref name="overrides"/> has them, else the file's, read a block of rows at a time (no whole copy of a
    /// 151936 × 896 head beside the packed one), into <paramref name="into"/> or a new head. Returns it, with the
    /// initializers it was packed from.
    /// </summary>
    private static (HostHead Head, string[] Inputs) PackHostHead(string onnxPath, OutputHead head, int hidden,
        IReadOnlyDictionary<string, float[]> overrides, HostHead? into = null)
    {
        var (initializers, name, storedAsColumns, vocab) = HeadWeights.Locate(onnxPath, vocab: null, hidden);
        var target = into ?? new HostHead(vocab, hidden);
        target.SetBias(head.Bias == null ? [] : overrides.TryGetValue(head.Bias, out var bias) ? bias : initializers.Read(head.Bias));
        if (overrides.TryGetValue(name, out var replaced)) target.PackRows(0, replaced, storedAsColumns);
        else initializers.ReadRows(name, storedAsColumns ? 16 : 16 * HostHead.PanelTokens, (first, rows) => target.PackRows(first, rows, storedAsColumns));
        return (target, head.Bias == null ? [name] : [name, head.Bias]);
    }

    /// <param name="overrides">Initializers ONNX Runtime takes from these values instead of the graph.</param>
    private static InferenceSession CreateSession(EditedModel edited, string onnxPath, ExecutionDevice device,
        SharedCudaContext? sharedContext, int intraOpThreads, IReadOnlyDictionary<string, (float[] Data, OrtValue Value)> overrides)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = intraOpThreads };
        // The edited graph is loaded from memory, so external weights are looked up beside the original file.
        options.AddSessionConfigEntry("session.model_external_initializers_file_folder_path",
            Path.GetDirectoryName(Path.GetFullPath(onnxPath))!);
        foreach (var (name, value) in overrides) options.AddInitializer(name, value.Value);
        // ONNX Runtime folds constant subgraphs (each weight matrix's Transpose) from the graph's own values, not the
        // replacements; unfolded, the Transposes fuse into the MatMuls instead, and the replacements are what runs.
        if (overrides.Count > 0) options.AddSessionConfigEntry("optimization.disable_specified_optimizers", "ConstantFolding");
        if (sharedContext != null)
        {
            try { sharedContext.AppendExecutionProvider(options); }
            catch (InvalidOperationException e) { throw InputException.ForSetting(nameof(Device), $"cuda: {e.Message}"); }
        }
        else if (device == ExecutionDevice.Cuda)
        {
            try { options.AppendExecutionProvider_CUDA(0); }
            catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
            { throw InputException.ForSetting(nameof(Device), $"cuda: the CUDA execution provider did not load ({FirstLine(e.Message)}); it needs an NVIDIA driver and the CUDA 13 libraries (libcudart, libcublas, libcublasLt, libcurand, cuDNN 9) on LD_LIBRARY_PATH"); }
        }

        InferenceSession session;
        try { session = edited.Bytes != null ? new InferenceSession(edited.Bytes, options) : new InferenceSession(edited.Path!, options); }
        catch (OnnxRuntimeException e) { throw new InputException($"{onnxPath}: ONNX Runtime cannot load the model ({FirstLine(e.Message)})"); }
        try { sharedContext?.VerifySameContext(session); }
        catch { session.Dispose(); throw; }
        return session;
    }

    /// <summary>A CUDA session keeps its cache on the device; one on ILGPU's context (the shared path) keeps it on the host.</summary>
    private TensorMemory KvMemoryOf(InferenceSession session) =>
        Device == ExecutionDevice.Cuda && _sharedContext == null ? new CudaTensorMemory(session, 0) : TensorMemory.Host;

    /// <summary>The initializers replaced so far (<see cref="UpdateWeights"/>), by name; the graph's own values hold for the rest. The session reads these arrays: internal, so no caller writes into them.</summary>
    internal IReadOnlyDictionary<string, float[]> WeightOverrides => _overrides.ToDictionary(o => o.Key, o => o.Value.Data);

    /// <summary>
    /// Runs on new weights from now on: the session is re-created over the same edited graph with <paramref name="tensors"/>
    /// (float32, row-major, keyed by initializer name: a graph this project wrote names them as the checkpoint) in place
    /// of the graph's initializers, on top of earlier replacements; no file is written. The values are copied. KV caches of
    /// the old weights must not be fed to the new session. Returns how long the swap took.
    /// </summary>
    public TimeSpan UpdateWeights(IReadOnlyDictionary<string, float[]> tensors)
    {
        var clock = Stopwatch.StartNew();
        foreach (var (name, data) in tensors) CheckReplacement(name, data);
        var added = new List<OrtValue>();
        InferenceSession session;
        var overrides = new Dictionary<string, (float[] Data, OrtValue Value)>(_overrides);
        try
        {
            foreach (var (name, data) in tensors)
            {
                var copy = (float[])data.Clone();
                var value = OrtValue.CreateTensorValueFromMemory(copy, _initializers[name].Dims);
                added.Add(value);
                overrides[name] = (copy, value);
            }
            session = CreateSession(_edited, _onnxPath, Device, _sharedContext, _intraOpThreads, overrides);
        }
        catch
        {
            foreach (var value in added) value.Dispose();
            throw;
        }
        var replaced = _overrides.Where(o => tensors.ContainsKey(o.Key)).Select(o => o.Value.Value).ToList();
        (KvMemory as IDisposable)?.Dispose();
        _session.Dispose();
        foreach (var value in replaced) value.Dispose();
        _session = session;
        _overrides = overrides;
        KvMemory = KvMemoryOf(session);
        // A replaced head (or bias, or tied embedding) is packed anew; other weights leave it as it is.
        if (_hostHead != null && _hostHeadInputs.Any(tensors.ContainsKey))
            PackHostHead(_onnxPath, Head, Config.Hidden, WeightOverrides, into: _hostHead);
        return clock.Elapsed;
    }

    private void CheckReplacement(string name, float[] data)
    {
        if (!_initializers.TryGetValue(name, out var tensor))
            throw new InputException($"{_onnxPath}: no initializer named '{name}' to replace");
        if (tensor.DataType != (int)TensorProto.Types.DataType.Float)
            throw new InputException($"{_onnxPath}: initializer '{name}' is stored as {(TensorProto.Types.DataType)tensor.DataType}; only float32 initializers can be replaced");
        long count = tensor.Dims.Aggregate(1L, (a, d) => a * d);
        if (data.Length != count)
            throw new InputException($"{_onnxPath}: initializer '{name}' is [{string.Join(", ", tensor.Dims)}] ({count} values), the replacement has {data.Length}");
    }

    /// <summary>
    /// The model with the output head's input added as a graph output and, where it can, positions selected in front of
    /// the head and the head's product taken out (<see cref="OutputHead.Detach"/>) as <paramref name="detachHead"/> says
    /// (see <see cref="Load"/>'s headOnHost); serialized again.
    /// </summary>
    private static (EditedModel Model, OutputHead Head, Dictionary<string, (long[] Dims, int DataType)> Initializers, bool Fused) WithHiddenStatesOutput(
        string onnxPath, bool? detachHead)
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
        try { head = OutputHead.Find(model.Graph).SelectPositions(model.Graph); }
        catch (FormatException e) { throw new InputException($"{onnxPath}: cannot find the output head: {e.Message}"); }
        head.ExposeHiddenStates(model.Graph);
        var initializers = model.Graph.Initializer.ToDictionary(t => t.Name, t => (t.Dims.ToArray(), t.DataType));
        bool fused = model.Graph.Node.Any(n => n.OpType == "GroupQueryAttention");
        // Hashed before the head is detached: the nodes between the head and its stored weight go with it.
        head = head with { StoredHash = StoredHeadHash(model.Graph, head, onnxPath) };
        if (detachHead != false && head.CanDetach(model.Graph, onnxPath)
            && (detachHead == true || StoredHeadWeights(model.Graph, head, onnxPath) >= HostHead.MinimumWeights))
            head = head.Detach(model.Graph);
        return (EditedModel.Of(model), head, initializers, fused);
    }

    /// <summary>How many values the head's stored weight has (V × d).</summary>
    private static long StoredHeadWeights(GraphProto graph, OutputHead head, string onnxPath)
    {
        var tensors = graph.Initializer.ToDictionary(t => t.Name);
        var (name, _) = OutputHead.StoredWeight(graph, head.Weight, tensors.ContainsKey, onnxPath);
        return tensors[name].Dims.Aggregate(1L, (count, dim) => count * dim);
    }

    /// <summary>
    /// The hash of the head's stored values while the parsed graph holds them, so the head's cached factors are found
    /// without reading it again; null where they are not float32 bytes in the graph (external data, fp16).
    /// </summary>
    private static UInt128? StoredHeadHash(GraphProto graph, OutputHead head, string onnxPath)
    {
        var tensors = graph.Initializer.ToDictionary(t => t.Name);
        try
        {
            var (name, transposed) = OutputHead.StoredWeight(graph, head.Weight, tensors.ContainsKey, onnxPath);
            var tensor = tensors[name];
            return tensor.DataType == (int)TensorProto.Types.DataType.Float && tensor.DataLocation != TensorProto.Types.DataLocation.External && !tensor.RawData.IsEmpty
                ? OutputHead.HashStored(tensor.RawData.Span, storedAsColumns: !transposed)
                : null;
        }
        catch (InputException) { return null; } // a head the factors cannot be read from fails there, with its message
    }

    /// <summary>
    /// The edited graph as ONNX Runtime loads it. Weights inside the graph go through a temporary file, written as a
    /// stream, so no second in-memory copy of them (a serialized byte array) lives while ONNX Runtime reads its own;
    /// a graph whose weights are in external files is small and goes as bytes, its weights found beside the
    /// original through the session option. Either is kept until the session is disposed: new weights re-create the
    /// session from it.
    /// </summary>
    private sealed class EditedModel : IDisposable
    {
        public byte[]? Bytes { get; private init; }
        public string? Path { get; private init; }

        public static EditedModel Of(ModelProto model)
        {
            if (model.Graph.Initializer.Any(t => t.DataLocation == TensorProto.Types.DataLocation.External))
                return new EditedModel { Bytes = model.ToByteArray() };
            var folder = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"rollout-model-{Guid.NewGuid():N}");
            try
            {
                Directory.CreateDirectory(folder);
                var path = System.IO.Path.Combine(folder, "model.onnx");
                using (var file = File.Create(path)) model.WriteTo(file);
                return new EditedModel { Path = path };
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // No room or no right to write there: the in-memory copy costs memory, not correctness.
                if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
                return new EditedModel { Bytes = model.ToByteArray() };
            }
        }

        /// <summary>Removes the temporary file, with the session that may be re-created from it.</summary>
        public void Dispose()
        {
            if (Path != null) Directory.Delete(System.IO.Path.GetDirectoryName(Path)!, recursive: true);
        }
    }

    /// <summary>
    /// Runs <paramref name="newTokens"/> positions for each of <paramref name="past"/>'s rows.
    /// <paramref name="inputIds"/> and <paramref name="positionIds"/> are [rows, newTokens];
    /// <paramref name="attentionMask"/> is [rows, width]: past.Length + newTokens wide, left-padded, for an Optimum-layout
    /// graph, whose step returns the grown cache as <see cref="DecoderStep.Present"/>; for a fused graph
    /// (<see cref="DecoderSignature.SharesKvBuffer"/>) as wide as the widest row, each row's ones first (its cached
    /// positions, then the new ones): the new keys are written into <paramref name="past"/> in place (its capacity must
    /// hold the width) and the step has no Present.
    /// </summary>
    /// <param name="outputPositions">Which of the new positions get logits and hidden states (ascending indices
    /// into 0..newTokens−1), so the step's position k is <paramref name="outputPositions"/>[k]; null for all. Where
    /// the head cannot select positions (see <see cref="OutputHead.SelectPositions"/>), all are computed and the
    /// asked-for ones are read.</param>
    /// <param name="targets">Where logits (and, with <paramref name="withHiddenStates"/>, hidden states) are
    /// written instead of memory ONNX Runtime allocates: [rows, positions, V] and [rows, positions, d] float32
    /// (see <see cref="CanWriteIntoTargets"/>); the hidden-states target is ignored without <paramref name="withHiddenStates"/>.
    /// The caller keeps owning them. Outputs without a target are allocated by ONNX Runtime on the CPU.</param>
    /// <param name="logitsOnDevice">On a CUDA session, leave the logits and hidden states (those without a target) in
    /// ONNX Runtime's device memory, for a device-to-device copy to the kernels; the cache still comes to the host.</param>
    public DecoderStep Run(long[] inputIds, long[] attentionMask, long[] positionIds, int newTokens, KvCache past, bool withHiddenStates,
        StepOutputTargets? targets = null, long[]? outputPositions = null, bool logitsOnDevice = false)
    {
        if (logitsOnDevice && Device != ExecutionDevice.Cuda)
            throw new ArgumentException("outputs stay on the device only on a CUDA session", nameof(logitsOnDevice));
        int rows = past.Rows;
        var selected = outputPositions ?? Enumerable.Range(0, newTokens).Select(p => (long)p).ToArray();
        if (selected.Length == 0 || selected.Any(p => p < 0 || p >= newTokens))
            throw new ArgumentOutOfRangeException(nameof(outputPositions), $"output positions must lie in [0, {newTokens})");
        int computed = Head.SelectsPositions ? selected.Length : newTokens;
        if (targets != null) CheckTargets(targets, rows, computed, withHiddenStates);
        int width = Signature.SharesKvBuffer ? attentionMask.Length / Math.Max(rows, 1) : past.Length + newTokens;
        if (attentionMask.Length != rows * width || (Signature.SharesKvBuffer && width > past.Capacity))
            throw new ArgumentException($"an attention mask of {attentionMask.Length} values for {rows} rows and a past of {past.Length} positions (room for {past.Capacity})", nameof(attentionMask));
        using var ids = OrtValue.CreateTensorValueFromMemory(inputIds, [rows, newTokens]);
        using var mask = OrtValue.CreateTensorValueFromMemory(attentionMask, [rows, width]);
        using var positions = Signature.HasPositionIds ? OrtValue.CreateTensorValueFromMemory(positionIds, [rows, newTokens]) : null;
        using var selection = Head.SelectsPositions ? OrtValue.CreateTensorValueFromMemory(selected, [selected.Length]) : null;
        using var binding = _session.CreateIoBinding();
        binding.BindInput(DecoderSignature.InputIds, ids);
        binding.BindInput(DecoderSignature.AttentionMask, mask);
        if (positions != null) binding.BindInput(DecoderSignature.PositionIds, positions);
        if (selection != null) binding.BindInput(OutputHead.PositionsInput, selection);
        for (int i = 0; i < Signature.PastNames.Count; i++) binding.BindInput(Signature.PastNames[i], past.Values[i]);

        // Bound in this order, so the outputs come back as logits (unless computed here), present..., hidden states
        // (which a head computed here always needs).
        var hiddenTarget = withHiddenStates ? targets?.HiddenStates : null;
        bool logitsFromGraph = _hostHead == null, hiddenBound = withHiddenStates || !logitsFromGraph;
        using var device = logitsOnDevice ? new OrtMemoryInfo("Cuda", OrtAllocatorType.DeviceAllocator, 0, OrtMemType.Default) : null;
        if (logitsFromGraph) BindOutput(binding, DecoderSignature.Logits, targets?.Logits, device);
        for (int i = 0; i < Signature.PresentNames.Count; i++)
            BindOutput(binding, Signature.PresentNames[i], Signature.SharesKvBuffer ? past.Values[i] : null, KvMemory.Location);
        if (hiddenBound) BindOutput(binding, Head.HiddenStates, hiddenTarget, device);

        _sharedContext?.MakeCurrent();
        var outputs = _session.RunWithBoundResults(_runOptions, binding);
        // The CUDA provider may leave its primary context current; ILGPU launches in its own.
        _sharedContext?.MakeCurrent();

        // An output written into a target comes back as a second handle on the caller's tensor: the step
        // reads the caller's and only releases the handle.
        var presentValues = outputs.Skip(logitsFromGraph ? 1 : 0).Take(Signature.PresentNames.Count).ToArray();
        KvCache? present = null;
        if (Signature.SharesKvBuffer)
        {
            foreach (var handle in presentValues) handle.Dispose(); // second handles on the past's buffers
            past.Wrote(width);
        }
        else present = new KvCache(presentValues, rows, past.Length + newTokens, KvMemory);
        var positionMap = Head.SelectsPositions || outputPositions == null ? null : selected;
        if (logitsFromGraph)
        {
            OrtValue[] handles = withHiddenStates ? [outputs[0], outputs[^1]] : [outputs[0]];
            return new DecoderStep(targets?.Logits ?? outputs[0], withHiddenStates ? hiddenTarget ?? outputs[^1] : null,
                present, rows, computed, handles, positionMap);
        }
        return HostHeadStep(hiddenTarget ?? outputs[^1], outputs[^1], withHiddenStates, targets?.Logits, present, rows, computed, positionMap);
    }

    /// <summary>The step of a run whose logits <see cref="HostHead"/> computes from its hidden states: into the caller's target, or a pooled array the step gives back.</summary>
    private DecoderStep HostHeadStep(OrtValue hidden, OrtValue hiddenHandle, bool withHiddenStates, OrtValue? logitsTarget, KvCache? present,
        int rows, int positions, long[]? positionMap)
    {
        int entries = rows * positions;
        float[]? pooled = null;
        OrtValue logits;
        if (logitsTarget != null) logits = logitsTarget;
        else
        {
            pooled = ArrayPool<float>.Shared.Rent(entries * VocabSize);
            logits = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, pooled.AsMemory(0, entries * VocabSize), [rows, positions, VocabSize]);
        }
        try
        {
            _hostHead!.Logits(hidden.GetTensorDataAsSpan<float>()[..(entries * Config.Hidden)], logits.GetTensorMutableDataAsSpan<float>(), entries);
        }
        catch
        {
            if (pooled != null) { logits.Dispose(); ArrayPool<float>.Shared.Return(pooled); }
            hiddenHandle.Dispose();
            throw;
        }
        OrtValue[] handles = pooled != null ? [hiddenHandle, logits] : [hiddenHandle];
        return new DecoderStep(logits, withHiddenStates ? hidden : null, present, rows, positions, handles, positionMap, pooled);
    }

    private static void BindOutput(OrtIoBinding binding, string name, OrtValue? target, OrtMemoryInfo? memory = null)
    {
        if (target != null) binding.BindOutput(name, target);
        else binding.BindOutputToDevice(name, memory ?? OrtMemoryInfo.DefaultInstance);
    }

    private void CheckTargets(StepOutputTargets targets, int rows, int positions, bool withHiddenStates)
    {
        if (!CanWriteIntoTargets)
            throw new InvalidOperationException($"this model outputs {Signature.LogitsType} logits and {HiddenStatesType} hidden states; only float32 outputs can be written into targets (copy them instead)");
        CheckShape(targets.Logits, "logits", rows, positions, VocabSize);
        if (withHiddenStates && targets.HiddenStates != null) CheckShape(targets.HiddenStates, "hidden-states", rows, positions, Config.Hidden);
    }

    private static void CheckShape(OrtValue target, string what, int rows, int positions, int width)
    {
        var info = target.GetTensorTypeAndShape();
        long[] expected = [rows, positions, width];
        if (info.ElementDataType != TensorElementType.Float || !info.Shape.SequenceEqual(expected))
            throw new ArgumentException($"the {what} target is {info.ElementDataType} [{string.Join(',', info.Shape)}], the step needs Float [{string.Join(',', expected)}]");
    }

    public void Dispose()
    {
        (KvMemory as IDisposable)?.Dispose();
        _runOptions.Dispose();
        _session.Dispose();
        foreach (var (_, value) in _overrides.Values) value.Dispose();
        _edited.Dispose();
    }

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();
}

/// <summary>
/// One forward step's outputs. Logits are read per (row, output position): position k is the run's k-th output
/// position (all of the new positions unless the run asked for some); fp16 models are widened once. When the
/// step wrote into caller-owned <see cref="StepOutputTargets"/>, they are read from there, and only if that
/// memory is on the host.
/// </summary>
internal sealed class DecoderStep : IDisposable
{
    private readonly OrtValue _logits;
    private readonly OrtValue? _hidden;
    private readonly OrtValue[] _owned;
    private readonly float[]? _widenedLogits;
    private readonly int _positions;
    private readonly long[]? _positionMap;
    private readonly float[]? _pooled;

    /// <summary>The grown cache of an Optimum-layout graph; null for a fused graph, which wrote into its past in place.</summary>
    public KvCache? Present { get; }
    public int VocabSize { get; }
    public int HiddenSize { get; }

    /// <param name="positions">Positions per row in the outputs.</param>
    /// <param name="owned">The ONNX Runtime handles this step releases; <paramref name="logits"/> and
    /// <paramref name="hidden"/> are among them unless the caller owns them.</param>
    /// <param name="positionMap">Where the graph computed every position but only some were asked for: the output
    /// position of each one asked for.</param>
    /// <param name="pooled">The array behind <paramref name="logits"/> when it came from <see cref="ArrayPool{T}.Shared"/>: returned on disposal.</param>
    internal DecoderStep(OrtValue logits, OrtValue? hidden, KvCache? present, int rows, int positions, OrtValue[] owned, long[]? positionMap = null,
        float[]? pooled = null)
    {
        _logits = logits;
        _pooled = pooled;
        _hidden = hidden;
        _owned = owned;
        _positions = positions;
        _positionMap = positionMap;
        Present = present;
        var shape = logits.GetTensorTypeAndShape();
        if (shape.Shape.Length != 3 || shape.Shape[0] != rows || shape.Shape[1] != positions)
            throw new InvalidOperationException($"logits shaped [{string.Join(',', shape.Shape)}], expected [{rows},{positions},V]");
        VocabSize = (int)shape.Shape[2];
        if (shape.ElementDataType == TensorElementType.Float16 && !OnDevice)
        {
            var half = logits.GetTensorDataAsSpan<Float16>();
            _widenedLogits = new float[half.Length];
            for (int i = 0; i < half.Length; i++) _widenedLogits[i] = (float)half[i].ToFloat();
        }
        if (hidden != null) HiddenSize = (int)hidden.GetTensorTypeAndShape().Shape[2];
    }

    public ReadOnlySpan<float> Logits(int row, int position) =>
        AllLogits.Slice(Entry(row, position) * VocabSize, VocabSize);

    public ReadOnlySpan<float> HiddenStates(int row, int position) =>
        AllHiddenStates.Slice(Entry(row, position) * HiddenSize, HiddenSize);

    /// <summary>Which [rows, positions] entry of the outputs holds (row, output position).</summary>
    public int Entry(int row, int position) => row * _positions + (int)(_positionMap?[position] ?? position);

    /// <summary>Whether the logits are in device memory (see <see cref="DecoderSession.Run"/>'s logitsOnDevice): read them through <see cref="LogitsValue"/>.</summary>
    public bool OnDevice => _logits.GetTensorMemoryInfo().GetDeviceType() != OrtMemoryInfoDeviceType.CPU;

    /// <summary>The logits tensor, [rows, positions, V].</summary>
    public OrtValue LogitsValue => _logits;

    /// <summary>The hidden-states tensor, [rows, positions, d], when requested.</summary>
    public OrtValue? HiddenStatesValue => _hidden;

    /// <summary>Every logit the step computed, [rows, positions, V] row-major.</summary>
    public ReadOnlySpan<float> AllLogits => _widenedLogits ?? OnHost(_logits, "logits").GetTensorDataAsSpan<float>();

    /// <summary>Every hidden state the step computed, [rows, positions, d] row-major.</summary>
    public ReadOnlySpan<float> AllHiddenStates =>
        OnHost(_hidden ?? throw new InvalidOperationException("hidden states were not requested for this step"), "hidden states")
            .GetTensorDataAsSpan<float>();

    /// <summary>Releases ONNX Runtime's outputs (never a caller's targets); <see cref="Present"/> lives on as the next step's past.</summary>
    public void Dispose()
    {
        foreach (var value in _owned) value.Dispose();
        if (_pooled != null) ArrayPool<float>.Shared.Return(_pooled);
    }

    private static OrtValue OnHost(OrtValue value, string what) =>
        value.GetTensorMemoryInfo().GetDeviceType() == OrtMemoryInfoDeviceType.CPU
            ? value
            : throw new InvalidOperationException($"the step's {what} are in device memory; read them through the kernels' views");
}
