using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Rollout.Kernels.Runtime;

namespace Rollout.Interop.Buffers;

/// <summary>
/// One step's logits (rows × positions × V) and final hidden states (rows × positions × d) in ILGPU memory,
/// allocated once for the largest step and reused by every step: a step of (rows, positions) uses the
/// buffers' first rows × positions entries, seen three ways over the same memory — as ONNX Runtime tensors
/// the session writes into (<see cref="Targets"/>), as ILGPU views the kernels read
/// (<see cref="Logits"/>, <see cref="HiddenStates"/>), and on the CPU accelerator as host spans.
/// </summary>
/// <remarks>
/// Zero copy (<see cref="Targets"/>) needs float32 outputs and a session that can write where the buffers
/// live: the CPU provider into the CPU accelerator's memory, or the CUDA provider sharing ILGPU's context
/// (<see cref="Cuda.SharedCudaContext"/>) into its CUDA memory. A CUDA session on its own context leaves its
/// outputs in device memory, copied device to device with <see cref="CopyFromDevice"/>. Otherwise — fp16
/// models, a CPU session feeding CUDA kernels — the session's outputs are copied in from the host with
/// <see cref="CopyLogits"/> and <see cref="CopyHiddenStates"/>.
/// </remarks>
public sealed class StepOutputBuffers : IDisposable
{
    private readonly AcceleratorHost _host;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _logits;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _hidden;
    private readonly OrtMemoryInfo _memoryInfo;
    // One pair of tensors per step shape: they only describe memory, so they are made once and kept.
    private readonly Dictionary<(int Rows, int Positions), StepOutputTargets> _targets = new();

    public int MaxRows { get; }
    public int MaxPositions { get; }
    public int VocabSize { get; }
    public int HiddenSize { get; }

    /// <summary>Where the logits buffer starts: a host address on the CPU accelerator, a device address on CUDA.</summary>
    public IntPtr LogitsPointer => _logits.NativePtr;

    /// <summary>Where the hidden-states buffer starts.</summary>
    public IntPtr HiddenStatesPointer => _hidden.NativePtr;

    /// <param name="host">The accelerator the kernels run on; the buffers live in its memory.</param>
    /// <param name="cudaMemoryInfo">ONNX Runtime's description of the CUDA device's memory
    /// (<see cref="Cuda.SharedCudaContext.MemoryInfo"/>); null on the CPU accelerator. Not owned.</param>
    public StepOutputBuffers(AcceleratorHost host, int maxRows, int maxPositions, int vocabSize, int hiddenSize,
        OrtMemoryInfo? cudaMemoryInfo = null)
    {
        RequirePositive(maxRows, nameof(maxRows));
        RequirePositive(maxPositions, nameof(maxPositions));
        RequirePositive(vocabSize, nameof(vocabSize));
        RequirePositive(hiddenSize, nameof(hiddenSize));
        bool onCpu = host.Accelerator is CPUAccelerator;
        if (onCpu == (cudaMemoryInfo != null))
            throw new ArgumentException(onCpu
                ? "buffers on the CPU accelerator take no CUDA memory info"
                : $"buffers on the {host.Kind} accelerator need its ONNX Runtime memory info (SharedCudaContext.MemoryInfo)", nameof(cudaMemoryInfo));
        _host = host;
        MaxRows = maxRows;
        MaxPositions = maxPositions;
        VocabSize = vocabSize;
        HiddenSize = hiddenSize;
        _memoryInfo = cudaMemoryInfo ?? OrtMemoryInfo.DefaultInstance;
        long entries = (long)maxRows * maxPositions;
        _logits = host.Accelerator.Allocate1D<float>(entries * vocabSize);
        try { _hidden = host.Accelerator.Allocate1D<float>(entries * hiddenSize); }
        catch { _logits.Dispose(); throw; }
    }

    /// <summary>ONNX Runtime tensors [rows, positions, V] and [rows, positions, d] over the buffers' first entries.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The step is larger than the buffers.</exception>
    public StepOutputTargets Targets(int rows, int positions)
    {
        RequireFits(rows, positions);
        if (_targets.TryGetValue((rows, positions), out var known)) return known;
        var logits = Tensor(_logits, rows, positions, VocabSize);
        OrtValue hidden;
        try { hidden = Tensor(_hidden, rows, positions, HiddenSize); }
        catch { logits.Dispose(); throw; }
        return _targets[(rows, positions)] = new StepOutputTargets(logits, hidden);
    }

    /// <summary>The first rows × positions × V logits, as the kernels read them.</summary>
    public ArrayView<float> Logits(int rows, int positions)
    {
        RequireFits(rows, positions);
        return _logits.View.SubView(0, (long)rows * positions * VocabSize);
    }

    /// <summary>The first rows × positions × d hidden states, as the kernels read them.</summary>
    public ArrayView<float> HiddenStates(int rows, int positions)
    {
        RequireFits(rows, positions);
        return _hidden.View.SubView(0, (long)rows * positions * HiddenSize);
    }

    /// <summary>The same logits as a host span; only on the CPU accelerator.</summary>
    public Span<float> HostLogits(int rows, int positions) => HostSpan(Logits(rows, positions));

    /// <summary>The same hidden states as a host span; only on the CPU accelerator.</summary>
    public Span<float> HostHiddenStates(int rows, int positions) => HostSpan(HiddenStates(rows, positions));

    /// <summary>The copy path: a step's logits from host memory into the buffers.</summary>
    public void CopyLogits(ReadOnlySpan<float> logits, int rows, int positions) =>
        CopyIn(Logits(rows, positions), logits, nameof(logits));

    /// <summary>The copy path: a step's hidden states from host memory into the buffers.</summary>
    public void CopyHiddenStates(ReadOnlySpan<float> hiddenStates, int rows, int positions) =>
        CopyIn(HiddenStates(rows, positions), hiddenStates, nameof(hiddenStates));

    /// <summary>
    /// The device copy path: entries of a step's float32 outputs that ONNX Runtime left in CUDA memory of its own
    /// context ([rows, positions, width] each) copied device to device into the buffers, buffer entry i from output
    /// entry <paramref name="sourceEntries"/>[i]; consecutive entries go in one copy. Only on the CUDA accelerator.
    /// </summary>
    public void CopyFromDevice(OrtValue logits, OrtValue? hiddenStates, ReadOnlySpan<int> sourceEntries)
    {
        if (_host.Accelerator is not CudaAccelerator cuda)
            throw new InvalidOperationException($"device-to-device copies need the CUDA accelerator; these buffers are on {_host.Kind}");
        RequireFits(sourceEntries.Length, 1);
        CopyEntries(cuda.NativePtr, logits, _logits.NativePtr, VocabSize, sourceEntries);
        if (hiddenStates != null) CopyEntries(cuda.NativePtr, hiddenStates, _hidden.NativePtr, HiddenSize, sourceEntries);
    }

    private static void CopyEntries(IntPtr context, OrtValue source, IntPtr target, int width, ReadOnlySpan<int> sourceEntries)
    {
        if (source.GetTensorTypeAndShape().ElementDataType != TensorElementType.Float)
            throw new ArgumentException("device-to-device copies take float32 outputs", nameof(source));
        var from = Memory.TensorMemory.Address(source);
        var sourceContext = Cuda.CudaDriver.ContextOf(from);
        long entryBytes = (long)width * sizeof(float);
        for (int i = 0; i < sourceEntries.Length;)
        {
            int run = 1;
            while (i + run < sourceEntries.Length && sourceEntries[i + run] == sourceEntries[i] + run) run++;
            Cuda.CudaDriver.CopyPeer(target + (nint)(i * entryBytes), context, from + (nint)(sourceEntries[i] * entryBytes), sourceContext, run * entryBytes);
            i += run;
        }
    }

    public void Dispose()
    {
        foreach (var targets in _targets.Values)
        {
            targets.Logits.Dispose();
            targets.HiddenStates?.Dispose();
        }
        _targets.Clear();
        _logits.Dispose();
        _hidden.Dispose();
    }

    private OrtValue Tensor(MemoryBuffer1D<float, Stride1D.Dense> buffer, int rows, int positions, int width)
    {
        long length = (long)rows * positions * width;
        return OrtValue.CreateTensorValueWithData(_memoryInfo, TensorElementType.Float, [rows, positions, width],
            buffer.NativePtr, length * sizeof(float));
    }

    private unsafe Span<float> HostSpan(ArrayView<float> view)
    {
        if (_host.Accelerator is not CPUAccelerator)
            throw new InvalidOperationException($"the buffers are in {_host.Kind} device memory; read them through the ILGPU views");
        return new Span<float>((void*)view.LoadEffectiveAddressAsPtr(), checked((int)view.Length));
    }

    private static void CopyIn(ArrayView<float> target, ReadOnlySpan<float> source, string name)
    {
        if (source.Length != target.Length)
            throw new ArgumentException($"{name} has {source.Length} values, the step needs {target.Length}", name);
        target.CopyFromCPU(source);
    }

    private void RequireFits(int rows, int positions)
    {
        RequirePositive(rows, nameof(rows));
        RequirePositive(positions, nameof(positions));
        if (rows > MaxRows || positions > MaxPositions)
            throw new ArgumentOutOfRangeException(rows > MaxRows ? nameof(rows) : nameof(positions),
                $"a step of {rows} rows × {positions} positions does not fit buffers allocated for {MaxRows} × {MaxPositions}");
    }

    private static void RequirePositive(int value, string name)
    {
        if (value < 1) throw new ArgumentOutOfRangeException(name, $"{name} must be at least 1 (got {value})");
    }
}
