using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using Microsoft.ML.OnnxRuntime;
using Rollout.Interop.Buffers;
using Rollout.Engine.Model;
using Rollout.Engine.Sampling;
using Rollout.Kernels;
using Rollout.Kernels.Runtime;
using Rollout.Kernels.Sampling;
using Rollout.Kernels.Step;
using Rollout.Kernels.Svd;

namespace Rollout.Engine.Features;

/// <summary>
/// The kernels one forward step's rows go through: the head-core term ℓ += U_r(M v_t) before the token is
/// chosen (when a core M is set), the choice itself when the kernels run on a device (<see cref="SampleOnDevice"/>),
/// and the step features u_t, v_t of L2T-SPEC §4 from logits ℓ_t, final hidden state h_t and token z_t. The
/// head's rank-r factors are computed once (randomized SVD) and stay on the accelerator; row buffers grow to the
/// largest step and are reused. Decode steps can have ONNX Runtime write logits and hidden states straight into
/// the kernels' buffers (<see cref="Targets"/>); other steps are copied in, from the host or device to device.
/// </summary>
internal sealed class StepKernels : IDisposable
{
    private readonly AcceleratorHost _host;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _vocabBasis;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _hiddenBasis;
    private readonly MemoryBuffer1D<float, Stride1D.Dense>? _core;
    private RowBuffers? _rows;
    private StepOutputBuffers? _outputs;

    public int Rank { get; }
    public int Vocab { get; }
    public int Width { get; }
    public HeadFactors Factors { get; }
    public bool HasCore => _core != null;

    private StepKernels(AcceleratorHost host, HeadFactors factors, HeadCore? core)
    {
        _host = host;
        Factors = factors;
        Rank = factors.Rank;
        Vocab = factors.Vocab;
        Width = factors.Width;
        _vocabBasis = host.Accelerator.Allocate1D(factors.VocabBasis);
        _hiddenBasis = host.Accelerator.Allocate1D(factors.HiddenBasis);
        if (core != null)
        {
            if (core.Rank != Rank) throw new InputException($"head core: rank {core.Rank}, the head's factors have rank {Rank}");
            _core = host.Accelerator.Allocate1D(core.ToArray());
        }
    }

    /// <summary>
    /// Reads the head the session runs with (its graph's, or a replacement) and factors it (seeded, so the same model
    /// always gets the same U_r, V_r). The factors of the folder's own head are cached beside it (<see cref="HeadFactorCache"/>).
    /// </summary>
    public static HeadFactors FactorHead(AcceleratorHost host, DecoderSession session, string modelDir, string onnxPath, L2TOptions options)
    {
        int vocab = session.VocabSize, width = session.Config.Hidden;
        if (options.Rank < 1 || options.Rank > Math.Min(vocab, width))
            throw InputException.ForSetting(nameof(options.Rank), $"must be between 1 and min(V, d) = {Math.Min(vocab, width)} (got {options.Rank})");
        // The folder's own head, hashed when the session loaded it: its cached factors need no second read of it.
        if (session.WeightOverrides.Count == 0 && session.Head.StoredHash is { } stored
            && HeadFactorCache.TryRead(modelDir, new HeadFactorCache.Key(stored, vocab, width, options.Rank, options.SvdOversampling,
                options.SvdPowerIterations, options.SvdSeed)) is { } hit)
            return hit;
        var head = HeadWeights.Read(onnxPath, vocab, width, session.WeightOverrides);
        // A replaced head (a trainer's new weights) is not the folder's: caching it would evict the folder's own factors.
        if (head.Replaced) return Factor(host, head, options);
        var key = HeadFactorCache.Key.Of(head, options.Rank, options.SvdOversampling, options.SvdPowerIterations, options.SvdSeed);
        if (HeadFactorCache.TryRead(modelDir, key) is { } cached) return cached;
        var factors = Factor(host, head, options);
        HeadFactorCache.TryWrite(modelDir, key, factors);
        return factors;
    }

    private static HeadFactors Factor(AcceleratorHost host, HeadWeights head, L2TOptions options)
    {
        using var headBuffer = host.Accelerator.Allocate1D(head.Matrix());
        return RandomizedSvd.Compute(host, headBuffer.View, head.Vocab, head.Hidden, options.Rank,
            options.SvdOversampling, options.SvdPowerIterations, options.SvdSeed);
    }

    /// <summary>An extractor over factors from <see cref="FactorHead"/>, with the head core M (r×r, row-major) or none.</summary>
    public static StepKernels Create(AcceleratorHost host, HeadFactors factors, HeadCore? core) => new(host, factors, core);

    /// <summary>
    /// Where a decode step of <paramref name="rows"/> rows (one position each) can have ONNX Runtime
    /// write its logits and hidden states for the kernels to read in place; null where that memory is
    /// not host memory (then steps are copied in).
    /// </summary>
    public StepOutputTargets? Targets(int rows) =>
        _host.Accelerator is CPUAccelerator ? Outputs(rows).Targets(rows, 1) : null;

    /// <summary>
    /// Whether a CUDA session should leave a step's logits and hidden states on the device for <see cref="Prepare"/>
    /// to copy device to device (the kernels run on CUDA, in ILGPU's own context), rather than bring them to the host.
    /// </summary>
    public bool TakesDeviceOutputs(DecoderSession session) =>
        _host.Kind == AcceleratorKind.Cuda && session.Device == ExecutionDevice.Cuda && session.CanWriteIntoTargets;

    /// <summary>
    /// Whether the kernels run on a device (CUDA, or ILGPU's CPU accelerator standing in for one): then tokens are
    /// chosen there too (<see cref="SampleOnDevice"/>, <see cref="EvaluateOnDevice"/>), so the logits stay where they are.
    /// </summary>
    public bool ChoosesOnDevice => _host.Kind != AcceleratorKind.Managed;

    /// <summary>
    /// Makes the rows' logits and hidden states (row i from <paramref name="sources"/>[i] of
    /// <paramref name="step"/>) available to the kernels — already there when the step wrote into
    /// <see cref="Targets"/>, in the same row order — then computes v_t and, with a core, shifts the
    /// logits. Call before choosing tokens. <paramref name="shiftedToHost"/>: copy the shifted logits out for
    /// <see cref="ShiftedLogits"/> (a host sampler needs them; a device one does not).
    /// </summary>
    public void Prepare(DecoderStep step, IReadOnlyList<(int Row, int Position)> sources, bool writtenInPlace, bool shiftedToHost = true)
    {
        int rows = sources.Count;
        var buffers = Buffers(rows);
        var outputs = Outputs(rows);
        if (step.OnDevice)
            outputs.CopyFromDevice(step.LogitsValue, step.HiddenStatesValue, sources.Select(s => step.Entry(s.Row, s.Position)).ToArray());
        else if (!writtenInPlace)
            for (int i = 0; i < rows; i++)
            {
                var (row, position) = sources[i];
                outputs.Logits(rows, 1).SubView((long)i * Vocab, Vocab).CopyFromCPU(step.Logits(row, position));
                outputs.HiddenStates(rows, 1).SubView((long)i * Width, Width).CopyFromCPU(step.HiddenStates(row, position));
            }
        var v = buffers.V.AsArrayView<float>(0, rows * Rank);
        HiddenProjection.Run(_host, outputs.HiddenStates(rows, 1), _hiddenBasis.View, v, Width, Rank);
        if (_core != null)
        {
            var logits = outputs.Logits(rows, 1);
            HeadCoreShift.Run(_host, logits, v, _vocabBasis.View, _core.View, buffers.CoreShift.AsArrayView<float>(0, rows * Rank), Vocab, Rank);
            if (shiftedToHost) logits.CopyToCPU(buffers.ShiftedLogits.AsSpan(0, rows * Vocab));
        }
    }

    /// <summary>
    /// Applies each prepared row's penalties (row i: <paramref name="histories"/>[i], none when null) to its logits in
    /// place (<see cref="TokenSampling.Penalize"/>), so that drawing, statistics and u_t all read the penalised policy.
    /// </summary>
    public void Penalize(SamplingParams sampling, IReadOnlyList<TokenHistory?> histories)
    {
        int rows = histories.Count;
        var offsets = new int[rows + 1];
        var penalties = new List<TokenPenalty>();
        for (int i = 0; i < rows; i++)
        {
            if (histories[i] is { } history) penalties.AddRange(history.Entries);
            offsets[i + 1] = penalties.Count;
        }
        TokenSampling.Penalize(_host, _outputs!.Logits(rows, 1), CollectionsMarshal.AsSpan(penalties), offsets, Vocab, sampling.ToSettings());
    }

    /// <summary>
    /// Draws one token per prepared row on the accelerator (<see cref="TokenSampling"/>: the host sampler's semantics)
    /// from its logits after the head-core shift (and <see cref="Penalize"/>), with the row's uniform draw u (ignored when
    /// greedy). Only tokens and their statistics come back, and <paramref name="topLogprobs"/> alternatives per row. A
    /// row with non-finite logits gets <see cref="TokenSampling.InvalidRow"/>.
    /// </summary>
    public TokenChoice[] SampleOnDevice(SamplingParams sampling, ReadOnlySpan<double> uniforms, int topLogprobs = 0)
    {
        int rows = uniforms.Length;
        var buffers = _rows!;
        var uniformView = buffers.Uniforms.AsArrayView<double>(0, rows);
        uniformView.CopyFromCPU(uniforms);
        var tokenView = buffers.Tokens.AsArrayView<int>(0, rows);
        TokenSampling.Run(_host, _outputs!.Logits(rows, 1), uniformView, tokenView, Vocab, sampling.ToSettings());
        var tokens = new int[rows];
        tokenView.CopyToCPU(tokens);
        // A row that cannot be sampled is reported by the caller; its alternatives would mean nothing.
        return ChoicesOnDevice(tokens, sampling.PolicyTemperature, tokens.Contains(TokenSampling.InvalidRow) ? 0 : topLogprobs);
    }

    /// <summary>The statistics of given tokens (teacher forcing), one per prepared row, computed on the accelerator.</summary>
    public TokenChoice[] EvaluateOnDevice(ReadOnlySpan<int> tokens, SamplingParams sampling, int topLogprobs = 0)
    {
        _rows!.Tokens.AsArrayView<int>(0, tokens.Length).CopyFromCPU(tokens);
        return ChoicesOnDevice(tokens.ToArray(), sampling.PolicyTemperature, topLogprobs);
    }

    /// <summary>
    /// Softmax statistics of the tokens already in the token buffer, as the host sampler reports them, and each row's
    /// <paramref name="topLogprobs"/> most likely tokens (<see cref="TokenSampling.TopLogits"/>), their log-probabilities
    /// formed as the statistics form the token's own (ℓ · (1/τ) − log-sum-exp, float32), so the two agree.
    /// </summary>
    private TokenChoice[] ChoicesOnDevice(int[] tokens, double policyTemperature, int topLogprobs)
    {
        int rows = tokens.Length;
        var logits = _outputs!.Logits(rows, 1);
        var statisticsView = _rows!.Statistics.AsArrayView<StepStatistics>(0, rows);
        SoftmaxStatistics.Run(_host, logits, _rows.Tokens.AsArrayView<int>(0, rows), statisticsView, Vocab, (float)policyTemperature);
        var statistics = new StepStatistics[rows];
        statisticsView.CopyToCPU(statistics);
        var top = topLogprobs > 0 ? TopLogits(logits, rows, Math.Min(topLogprobs, Vocab)) : null;
        float inverseTemperature = 1f / (float)policyTemperature;
        return tokens.Select((token, i) => new TokenChoice(token, statistics[i].LogProb, statistics[i].RawLogProb, statistics[i].Entropy, statistics[i].LogSumExp,
            top?[i].Select(t => new TokenAlternative(t.Id, t.Logit * inverseTemperature - statistics[i].LogSumExp)).ToArray())).ToArray();
    }

    /// <summary>Each row's k largest logits with their ids, largest first.</summary>
    private (int Id, float Logit)[][] TopLogits(ArrayView<float> logits, int rows, int k)
    {
        using var ids = _host.Accelerator.Allocate1D<int>((long)rows * k);
        using var values = _host.Accelerator.Allocate1D<float>((long)rows * k);
        TokenSampling.TopLogits(_host, logits, ids.View, values.View, Vocab, k);
        var id = ids.GetAsArray1D();
        var value = values.GetAsArray1D();
        return Enumerable.Range(0, rows).Select(row => Enumerable.Range(row * k, k).Select(j => (id[j], value[j])).ToArray()).ToArray();
    }

    /// <summary>Row i's logits after the head-core shift (only with a core): what the sampler must draw from.</summary>
    public ReadOnlySpan<float> ShiftedLogits(int row) => _rows!.ShiftedLogits.AsSpan(row * Vocab, Vocab);

    /// <summary>
    /// Computes u_t for the sampled tokens and copies u, v (rows × r each) out. Call after sampling. The sampler has
    /// already normalised each row's softmax, so its statistics are taken from the choices rather than recomputed.
    /// </summary>
    public void Finish(ReadOnlySpan<TokenChoice> choices, float temperature, Span<float> u, Span<float> v)
    {
        int rows = choices.Length;
        var buffers = _rows!;
        var tokens = new int[rows];
        var statistics = new StepStatistics[rows];
        for (int i = 0; i < rows; i++)
        {
            var c = choices[i];
            tokens[i] = c.TokenId;
            // Max is not reported by the sampler, and u needs only the normaliser.
            statistics[i] = new StepStatistics { Max = float.NaN, LogSumExp = c.LogNormalizer, LogProb = c.Logprob, RawLogProb = c.RawLogprob, Entropy = c.Entropy };
        }
        var tokenView = buffers.Tokens.AsArrayView<int>(0, rows);
        var statisticsView = buffers.Statistics.AsArrayView<StepStatistics>(0, rows);
        tokenView.CopyFromCPU(tokens);
        statisticsView.CopyFromCPU(statistics);
        var logits = _outputs!.Logits(rows, 1);
        ScoreProjection.Run(_host, logits, tokenView, statisticsView, _vocabBasis.View, buffers.U.AsArrayView<float>(0, rows * Rank), Vocab, Rank, temperature);
        buffers.U.AsArrayView<float>(0, rows * Rank).CopyToCPU(u[..(rows * Rank)]);
        buffers.V.AsArrayView<float>(0, rows * Rank).CopyToCPU(v[..(rows * Rank)]);
    }

    private StepOutputBuffers Outputs(int rows)
    {
        if (_outputs == null || _outputs.MaxRows < rows)
        {
            _outputs?.Dispose();
            var deviceMemory = _host.Accelerator is CPUAccelerator ? null : new OrtMemoryInfo("Cuda", OrtAllocatorType.DeviceAllocator, 0, OrtMemType.Default);
            _outputs = new StepOutputBuffers(_host, rows, 1, Vocab, Width, deviceMemory);
        }
        return _outputs;
    }

    private RowBuffers Buffers(int rows)
    {
        if (_rows == null || _rows.Capacity < rows)
        {
            _rows?.Dispose();
            _rows = new RowBuffers(_host.Accelerator, rows, Vocab, Rank);
        }
        return _rows;
    }

    public void Dispose()
    {
        _rows?.Dispose();
        _outputs?.Dispose();
        _core?.Dispose();
        _hiddenBasis.Dispose();
        _vocabBasis.Dispose();
    }

    private sealed class RowBuffers(Accelerator accelerator, int capacity, int vocab, int rank) : IDisposable
    {
        public int Capacity { get; } = capacity;
        public MemoryBuffer1D<float, Stride1D.Dense> U { get; } = accelerator.Allocate1D<float>((long)capacity * rank);
        public MemoryBuffer1D<float, Stride1D.Dense> V { get; } = accelerator.Allocate1D<float>((long)capacity * rank);
        public MemoryBuffer1D<float, Stride1D.Dense> CoreShift { get; } = accelerator.Allocate1D<float>((long)capacity * rank);
        public MemoryBuffer1D<int, Stride1D.Dense> Tokens { get; } = accelerator.Allocate1D<int>(capacity);
        public MemoryBuffer1D<double, Stride1D.Dense> Uniforms { get; } = accelerator.Allocate1D<double>(capacity);
        public MemoryBuffer1D<StepStatistics, Stride1D.Dense> Statistics { get; } = accelerator.Allocate1D<StepStatistics>(capacity);
        public float[] ShiftedLogits { get; } = new float[(long)capacity * vocab];

        public void Dispose()
        {
            foreach (var buffer in new MemoryBuffer[] { U, V, CoreShift, Tokens, Uniforms, Statistics }) buffer.Dispose();
        }
    }
}
