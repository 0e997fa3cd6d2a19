using Rollout.Engine.Features;
using Rollout.Engine.Generation;
using Rollout.Engine.Model;
using Rollout.Engine.Prompts;
using Rollout.Kernels;
using Rollout.Kernels.Runtime;
using Rollout.Kernels.Svd;

namespace Rollout.Engine;

/// <summary>
/// The library entry point: a model folder opened for generation. Prompts in, rollouts out, no
/// files involved, so a .NET trainer can embed it; the CLI is a thin layer over this.
/// </summary>
public sealed class RolloutEngine : IRolloutGenerator
{
    private readonly DecoderSession _session;
    private readonly Generator _generator;
    private readonly AcceleratorKind _kernels;
    private AcceleratorHost? _accelerator;
    private L2TRuntime? _l2t;

    public ModelFolder Model { get; }

    private RolloutEngine(ModelFolder model, DecoderSession session, AcceleratorKind kernels, int lanes)
    {
        Model = model;
        _kernels = kernels;
        _session = session;
        _generator = new Generator(model, session, lanes);
    }

    /// <param name="kernels">Where the L2T kernels run; by default where the model runs (CUDA with
    /// <see cref="ExecutionDevice.Cuda"/>, else plain SIMD C# on the CPU). <see cref="AcceleratorKind.Cpu"/> runs the
    /// ILGPU kernels on ILGPU's CPU accelerator, the device path without a device, for checking it (slow).</param>
    /// <param name="lanes">
    /// CPU decode lanes: a batch's rows split over this many forward passes that run at once, ONNX Runtime giving each
    /// the cores divided by the lanes. A small model's run does not keep several cores busy, so on a few cores two lanes
    /// can nearly double its throughput; a large model's matrices already do. The rollouts are the same whatever the
    /// lanes. Needs a fused graph; CUDA decodes in one lane.
    /// </param>
    public static RolloutEngine Open(string modelDir, ExecutionDevice device = ExecutionDevice.Cpu, AcceleratorKind? kernels = null, int lanes = 1) =>
        Open(ModelFolder.Open(modelDir), device, kernels, lanes);

    /// <summary>A model folder already opened (its config and tokenizer read), for the session and kernels; see the overload.</summary>
    public static RolloutEngine Open(ModelFolder model, ExecutionDevice device = ExecutionDevice.Cpu, AcceleratorKind? kernels = null, int lanes = 1)
    {
        if (lanes < 1) throw InputException.ForSetting(Lanes, $"must be at least 1 (got {lanes})");
        if (lanes > 1 && device == ExecutionDevice.Cuda) throw InputException.ForSetting(Lanes, $"{lanes}: lanes share out the CPU's cores; a CUDA session decodes in one");
        var kind = kernels ?? (device == ExecutionDevice.Cuda ? AcceleratorKind.Cuda : AcceleratorKind.Managed);
        if (lanes > 1 && kind != AcceleratorKind.Managed) throw InputException.ForSetting(Lanes, $"{lanes}: lanes run their L2T kernels side by side, which only the managed kernels do");
        var session = model.OpenSession(device, intraOpThreads: lanes > 1 ? Math.Max(1, Environment.ProcessorCount / lanes) : 0);
        if (lanes > 1 && !session.Signature.SharesKvBuffer)
        {
            session.Dispose();
            throw InputException.ForSetting(Lanes, $"{lanes}: lanes need a fused graph; {model.Path} has the Optimum layout (rewrite it with `rollout model convert --from`)");
        }
        return new RolloutEngine(model, session, kind, lanes);
    }

    /// <summary>The name <see cref="InputException"/>s give the lanes setting.</summary>
    public const string Lanes = "Lanes";

    /// <summary>
    /// Time spent in answer probes and scoring since the engine was opened (sampling is the rest of a Generate call). A
    /// fused graph's probes run inside decoding, as rows of the running batch: their time is sampling's.
    /// </summary>
    public StageTimes Times => _generator.Times;

    /// <summary>Tokenizes every prompt (chat template where it has messages) and checks it fits the context window.</summary>
    public IReadOnlyList<EncodedPrompt> Encode(IEnumerable<Prompt> prompts) => Model.Encode(prompts);

    /// <summary>Rollouts in prompt order, samples in order; lazily, batch by batch. See the overload for requests.</summary>
    public IEnumerable<RolloutResult> Generate(IReadOnlyList<EncodedPrompt> prompts, GenerationOptions options, Action<SampledToken>? onToken = null) =>
        Generate(Requests(prompts, options), onToken);

    /// <summary>The same settings for every prompt.</summary>
    public static IReadOnlyList<GenerationRequest> Requests(IReadOnlyList<EncodedPrompt> prompts, GenerationOptions options) =>
        prompts.Select(p => new GenerationRequest(p, options)).ToList();

    /// <summary>
    /// Rollouts of requests with their own settings, decoded together: in request order, samples in order; lazily, batch
    /// by batch. <paramref name="onToken"/> is told of every sampled token (on the enumerating thread). The first
    /// <paramref name="skip"/> rollouts are left out, and the rest are exactly those of a run without the skip (how
    /// an interrupted run resumes). <paramref name="cancel"/> stops the run at the next decode step.
    /// </summary>
    public IEnumerable<RolloutResult> Generate(IReadOnlyList<GenerationRequest> requests, Action<SampledToken>? onToken = null,
        int skip = 0, CancellationToken cancel = default) =>
        _generator.Generate(requests, requests.Count > 0 && requests[0].Options.L2T is { } l2t ? L2T(l2t) : null, onToken, skip, cancel);

    /// <summary>
    /// Scores given completions as if sampled (log-probabilities, episodes, and with L2T features,
    /// probes, rewards and advantages): one prefill per completion. Completions of a prompt are consecutive and form a group.
    /// </summary>
    public IReadOnlyList<RolloutResult> Score(IReadOnlyList<GivenCompletion> completions, GenerationOptions options) =>
        _generator.Score(completions, options, options.L2T == null ? null : L2T(options.L2T));

    /// <summary>The head's rank-r factors U_rᵀ, V_rᵀ that step features and a head core M refer to (spec §4).</summary>
    public HeadFactors HeadFactors(L2TGeneration settings) => L2T(settings).Kernels.Factors;

    /// <summary>
    /// The L2T runtime for these settings. The head's SVD is computed once and kept while its parameters (rank,
    /// oversampling, power iterations, seed) stay the same, so a trainer that hands in a new head core M (or new
    /// reward weights) every step pays only for uploading M.
    /// </summary>
    private L2TRuntime L2T(L2TGeneration settings)
    {
        if (_l2t?.Settings == settings) return _l2t;
        _accelerator ??= AcceleratorHost.Create(_kernels);
        var factors = _l2t != null && SameHeadFactors(_l2t.Settings.Options, settings.Options)
            ? _l2t.Kernels.Factors
            : StepKernels.FactorHead(_accelerator, _session, Model.Path, Model.OnnxPath, settings.Options);
        _l2t?.Dispose();
        return _l2t = L2TRuntime.Create(settings, _accelerator, factors);
    }

    /// <summary>
    /// Samples from new weights from now on (the role of vLLM's weight sync in a trainer loop): <paramref name="tensors"/>
    /// replace the graph's initializers of those names (float32, row-major; shapes checked against the graph). Not while
    /// a <see cref="Generate"/> enumeration is in progress. Returns how long the swap took.
    /// </summary>
    public TimeSpan UpdateWeights(IReadOnlyDictionary<string, float[]> tensors)
    {
        var took = _session.UpdateWeights(tensors);
        // The head's factors (and the runtime built on them) came from the old weights; the next L2T call factors the new head.
        _l2t?.Dispose();
        _l2t = null;
        return took;
    }

    private static bool SameHeadFactors(L2TOptions a, L2TOptions b) =>
        a.Rank == b.Rank && a.SvdOversampling == b.SvdOversampling && a.SvdPowerIterations == b.SvdPowerIterations && a.SvdSeed == b.SvdSeed;

    public void Dispose()
    {
        _l2t?.Dispose();
        _accelerator?.Dispose();
        _session.Dispose();
    }
}
