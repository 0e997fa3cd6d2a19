using System.Diagnostics;
using Rollout.Kernels.Episode;
using Rollout.Kernels.Reward;
using Rollout.Kernels.Runtime;
using Rollout.Kernels.Step;
using Rollout.Kernels.Svd;
using Rollout.Kernels.Update;

namespace Rollout.Kernels.Tests.Bench;

/// <summary>
/// <c>bench [--managed|--cpu|--cuda] [--small|--typical|--realistic] [--no-svd]</c>: times every op once warm
/// (compiled) on one backend (default: CUDA when present, else managed) and prints a table. Sizes: realistic (a
/// Qwen2.5-0.5B-sized head: V = 151936, d = 896, r = 32; 64 rows; 64 rollouts × 512 tokens in groups of 8, 8 episodes
/// each), the default on CUDA; typical (a small model's per-step sizes: V = 4096, d = 256; 16 rows; 16 rollouts × 256
/// tokens), the default for the managed backend; small, the default on the CPU accelerator. Each call is timed with its
/// host synchronisation, as the engine will call it.
/// </summary>
internal static class KernelTimings
{
    private sealed record Sizes(int Vocab, int Width, int Rank, int Rows, int Rollouts, int TokensPerRollout,
        int EpisodesPerRollout, int GroupSize)
    {
        public int Tokens => Rollouts * TokensPerRollout;
        public int Episodes => Rollouts * EpisodesPerRollout;
    }

    private static readonly Sizes Realistic = new(151936, 896, 32, 64, 64, 512, 8, 8);
    private static readonly Sizes Typical = new(4096, 256, 32, 16, 16, 256, 8, 8);
    private static readonly Sizes Small = new(4099, 96, 32, 8, 8, 64, 4, 4);
    private static readonly TimeSpan Budget = TimeSpan.FromMilliseconds(300);
    private const int Batches = 10;

    public static int Run(string[] args)
    {
        AcceleratorKind? kind = args.Contains("--managed") ? AcceleratorKind.Managed
            : args.Contains("--cpu") ? AcceleratorKind.Cpu
            : args.Contains("--cuda") ? AcceleratorKind.Cuda
            : null;
        using var host = AcceleratorHost.Create(kind);
        var s = args.Contains("--small") ? Small
            : args.Contains("--typical") ? Typical
            : args.Contains("--realistic") ? Realistic
            : host.Kind switch { AcceleratorKind.Cuda => Realistic, AcceleratorKind.Managed => Typical, _ => Small };
        Console.WriteLine($"Kernel timings on {host.Accelerator.Name} ({host.Kind}, group size {host.GroupSize}): {s}");
        var accelerator = host.Accelerator;
        var random = new Random(1);
        MemoryBuffer1D<float, Stride1D.Dense> Upload(long count, float scale) =>
            accelerator.Allocate1D(Enumerable.Range(0, checked((int)count)).Select(_ => scale * (random.NextSingle() - 0.5f)).ToArray());

        using var logits = Upload((long)s.Rows * s.Vocab, 8);
        using var tokens = accelerator.Allocate1D(Enumerable.Range(0, s.Rows).Select(_ => random.Next(s.Vocab)).ToArray());
        using var hidden = Upload((long)s.Rows * s.Width, 2);
        using var vocabBasis = Upload((long)s.Vocab * s.Rank, 0.01f);
        using var hiddenBasis = Upload((long)s.Width * s.Rank, 0.1f);
        using var core = Upload((long)s.Rank * s.Rank, 0.1f);
        using var rowFeatures = accelerator.Allocate1D<float>((long)s.Rows * s.Rank);
        using var coreShift = accelerator.Allocate1D<float>((long)s.Rows * s.Rank);
        using var statistics = accelerator.Allocate1D<StepStatistics>(s.Rows);

        var rollouts = Enumerable.Range(0, s.Rollouts).Select(i => new IndexRange(i * s.TokensPerRollout, s.TokensPerRollout)).ToArray();
        int episodeLength = s.TokensPerRollout / s.EpisodesPerRollout;
        var episodes = Enumerable.Range(0, s.Episodes).Select(k => new IndexRange(k * episodeLength, episodeLength)).ToArray();
        int groups = s.Rollouts / s.GroupSize;
        var tokenScopes = Enumerable.Range(0, groups).Select(g => new IndexRange(g * s.GroupSize * s.TokensPerRollout, s.GroupSize * s.TokensPerRollout)).ToArray();
        var episodeScopes = Enumerable.Range(0, groups).Select(g => new IndexRange(g * s.GroupSize * s.EpisodesPerRollout, s.GroupSize * s.EpisodesPerRollout)).ToArray();
        using var u = Upload((long)s.Tokens * s.Rank, 2);
        using var v = Upload((long)s.Tokens * s.Rank, 2);
        using var fisher = accelerator.Allocate1D<float>((long)groups * s.Rank * s.Rank);
        using var gradient = accelerator.Allocate1D<float>((long)s.Episodes * s.Rank * s.Rank);
        using var penalty = accelerator.Allocate1D<float>(s.Episodes);
        using var normalizedPenalty = accelerator.Allocate1D<float>(s.Episodes);
        using var oldLogProbs = Upload(s.Tokens, 6);
        using var episodeRewards = Upload(s.Episodes, 1);
        using var tokenRewards = accelerator.Allocate1D<float>(s.Tokens);
        using var advantages = Upload(s.Rollouts, 2);
        using var truncatedMeans = Upload(s.Rollouts, 1);
        using var tokenAdvantages = Upload(s.Tokens, 1);
        using var coreGradient = accelerator.Allocate1D<float>((long)s.Rank * s.Rank);
        using var firstMoment = accelerator.Allocate1D<float>((long)s.Rank * s.Rank);
        using var secondMoment = accelerator.Allocate1D<float>((long)s.Rank * s.Rank);
        firstMoment.MemSetToZero();
        secondMoment.MemSetToZero();
        const float temperature = 0.8f;
        var options = new L2TOptions { Rank = s.Rank };

        var table = new List<(string Kernel, string Shape, double Milliseconds)>
        {
            ("v = V_rᵀ h", $"{s.Rows}×{s.Width} → {s.Rows}×{s.Rank}",
                Time(host, () => HiddenProjection.Run(host, hidden.View, hiddenBasis.View, rowFeatures.View, s.Width, s.Rank))),
            ("ℓ += U_r (M v)", $"{s.Rows}×{s.Vocab}",
                Time(host, () => HeadCoreShift.Run(host, logits.View, rowFeatures.View, vocabBasis.View, core.View, coreShift.View, s.Vocab, s.Rank))),
            ("softmax statistics", $"{s.Rows}×{s.Vocab}",
                Time(host, () => SoftmaxStatistics.Run(host, logits.View, tokens.View, statistics.View, s.Vocab, temperature))),
            ("u = (U_r[z] − U_rᵀp)/τ", $"{s.Rows}×{s.Vocab}×{s.Rank}",
                Time(host, () => ScoreProjection.Run(host, logits.View, tokens.View, statistics.View, vocabBasis.View, rowFeatures.View, s.Vocab, s.Rank, temperature))),
            ("diagonal Fisher", $"{groups} scopes, N={s.Tokens}",
                Time(host, () => DiagonalFisher.Run(host, u.View, v.View, tokenScopes, fisher.View, s.Rank, 1e-5f))),
            ("episode G_k", $"K={s.Episodes}, N={s.Tokens}",
                Time(host, () => EpisodeGradient.Run(host, u.View, v.View, episodes, gradient.View, s.Rank))),
            ("penalty C_k, C̃_k", $"K={s.Episodes}",
                Time(host, () => CompressionPenalty.Run(host, gradient.View, fisher.View, episodeScopes, penalty.View, normalizedPenalty.View,
                    s.Rank, 1, PenaltyEstimator.Diag, PenaltyNormalization.Mean))),
            ("surprise credit r_t", $"K={s.Episodes}, N={s.Tokens}",
                Time(host, () => SurpriseCredit.Run(host, oldLogProbs.View, episodeRewards.View, episodes, tokenRewards.View))),
            ("token advantage A_t", $"{s.Rollouts} rollouts, N={s.Tokens}",
                Time(host, () => TokenAdvantage.Run(host, tokenRewards.View, advantages.View, truncatedMeans.View, rollouts, tokenAdvantages.View, true, 5))),
            ("core gradient", $"N={s.Tokens}, r={s.Rank}",
                Time(host, () => CoreGradient.Run(host, u.View, v.View, tokenAdvantages.View, fisher.View.SubView(0, (long)s.Rank * s.Rank), core.View, coreGradient.View, s.Rank, 0.001f))),
            ("AdamW on M", $"{s.Rank}×{s.Rank}",
                Time(host, () => AdamW.Run(host, core.View, coreGradient.View, firstMoment.View, secondMoment.View, 1, new AdamWSettings()))),
        };
        if (!args.Contains("--no-svd")) table.AddRange(TimeSvd(host, s, random));

        Console.WriteLine();
        Console.WriteLine($"{"kernel",-26} {"shape",-28} {"ms/call",10}");
        foreach (var (name, shape, ms) in table) Console.WriteLine($"{name,-26} {shape,-28} {ms,10:F3}");
        return 0;
    }

    /// <summary>
    /// Wall time of one synchronised call, warm: after untimed calls for the budget (at least one), which compile the
    /// kernel and give .NET's tiered compilation time to optimize the managed backend's code; then the mean over the
    /// fastest of up to <see cref="Batches"/> batches (each at least one call and a tenth of the budget, as many as
    /// the budget allows), so that other work on a shared machine inflates it less.
    /// </summary>
    private static double Time(AcceleratorHost host, Action call)
    {
        var total = Stopwatch.StartNew();
        do
        {
            call();
            host.Accelerator.Synchronize();
        } while (total.Elapsed < Budget);
        double best = double.PositiveInfinity;
        total.Restart();
        for (int batch = 0; batch < Batches && (batch == 0 || total.Elapsed < Budget); batch++)
        {
            var clock = Stopwatch.StartNew();
            int calls = 0;
            do
            {
                call();
                host.Accelerator.Synchronize();
                calls++;
            } while (clock.Elapsed < Budget / Batches);
            best = Math.Min(best, clock.Elapsed.TotalMilliseconds / calls);
        }
        return best;
    }

    /// <summary>
    /// The factorisation of a random head at full size: its first call, after a small one that compiles the product
    /// kernels (on the managed backend still partly unoptimized code: .NET's tiered compilation has not caught up),
    /// then warm, as <see cref="Time"/> measures.
    /// </summary>
    private static IEnumerable<(string, string, double)> TimeSvd(AcceleratorHost host, Sizes s, Random random)
    {
        var options = new L2TOptions();
        using (var warm = host.Accelerator.Allocate1D(Enumerable.Range(0, 64 * 48).Select(_ => random.NextSingle()).ToArray()))
            RandomizedSvd.Compute(host, warm.View, 64, 48, 8, options.SvdOversampling, options.SvdPowerIterations, options.SvdSeed);
        var values = new float[(long)s.Vocab * s.Width];
        for (long i = 0; i < values.Length; i++) values[i] = random.NextSingle() - 0.5f;
        using var head = host.Accelerator.Allocate1D(values);
        void Factor() =>
            RandomizedSvd.Compute(host, head.View, s.Vocab, s.Width, s.Rank, options.SvdOversampling, options.SvdPowerIterations, options.SvdSeed);
        var clock = Stopwatch.StartNew();
        Factor();
        var first = clock.Elapsed.TotalMilliseconds;
        string name = $"randomized SVD (p={options.SvdOversampling}, q={options.SvdPowerIterations})", shape = $"{s.Vocab}×{s.Width}, r={s.Rank}";
        return [(name + ", 1st", shape, first), (name, shape, Time(host, Factor))];
    }
}
