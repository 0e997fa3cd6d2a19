using Rollout.Kernels.Episode;
using Rollout.Kernels.Runtime;
using Rollout.Kernels.Tests.Support;

namespace Rollout.Kernels.Tests.Episode;

public sealed class EpisodeKernelTests(Accelerators accelerators)
{
    private const int Rank = 11; // no power of two; on the managed path, a SIMD vector of 8 and a remainder of 3

    /// <summary>Two scopes (groups) of episodes with odd lengths, including one-token episodes.</summary>
    private static readonly int[] EpisodeLengths = [1, 13, 5, 1, 40, 2, 1, 9];
    private static readonly IndexRange[] EpisodeScopes = [new(0, 3), new(3, 5)];

    private static IndexRange[] Episodes()
    {
        var episodes = new IndexRange[EpisodeLengths.Length];
        for (int k = 0, start = 0; k < episodes.Length; start += EpisodeLengths[k], k++) episodes[k] = new(start, EpisodeLengths[k]);
        return episodes;
    }

    private static IndexRange[] TokenScopes(IndexRange[] episodes) =>
        EpisodeScopes.Select(s => new IndexRange(episodes[s.Start].Start, episodes[s.End - 1].End - episodes[s.Start].Start)).ToArray();

    [Theory, MemberData(nameof(Accelerators.Kinds), MemberType = typeof(Accelerators))]
    public void DiagonalFisherMatchesReference(AcceleratorKind kind)
    {
        var host = accelerators.Get(kind);
        var episodes = Episodes();
        var tokens = episodes[^1].End;
        var inputs = new Inputs(21);
        var u = inputs.Normal(tokens * Rank);
        var v = inputs.Normal(tokens * Rank);
        var scopes = TokenScopes(episodes);
        using var uBuffer = host.Accelerator.Allocate1D(u);
        using var vBuffer = host.Accelerator.Allocate1D(v);
        using var fisher = Inputs.Poisoned(host.Accelerator, scopes.Length * Rank * Rank);

        DiagonalFisher.Run(host, uBuffer.View, vBuffer.View, scopes, fisher.View, Rank, 1e-5f);

        Close.Assert(DiagonalFisher.Reference(u, v, scopes, Rank, 1e-5), fisher.GetAsArray1D(), "F");
    }

    [Theory, MemberData(nameof(Accelerators.Kinds), MemberType = typeof(Accelerators))]
    public void EpisodeGradientMatchesReference(AcceleratorKind kind)
    {
        var host = accelerators.Get(kind);
        var episodes = Episodes();
        var inputs = new Inputs(22);
        var u = inputs.Normal(episodes[^1].End * Rank);
        var v = inputs.Normal(episodes[^1].End * Rank);
        using var uBuffer = host.Accelerator.Allocate1D(u);
        using var vBuffer = host.Accelerator.Allocate1D(v);
        using var gradient = Inputs.Poisoned(host.Accelerator, episodes.Length * Rank * Rank);

        EpisodeGradient.Run(host, uBuffer.View, vBuffer.View, episodes, gradient.View, Rank);

        Close.Assert(EpisodeGradient.Reference(u, v, episodes, Rank), gradient.GetAsArray1D(), "G");
    }

    [Theory]
    [MemberData(nameof(PenaltyCases))]
    public void CompressionPenaltyMatchesReference(AcceleratorKind kind, PenaltyEstimator estimator, PenaltyNormalization normalization)
    {
        var host = accelerators.Get(kind);
        var episodes = EpisodeLengths.Length;
        var inputs = new Inputs(23);
        var gradient = inputs.Normal(episodes * Rank * Rank);
        var fisher = inputs.Uniform(EpisodeScopes.Length * Rank * Rank, 1e-5, 2);
        using var gradientBuffer = host.Accelerator.Allocate1D(gradient);
        using var fisherBuffer = host.Accelerator.Allocate1D(fisher);
        using var raw = Inputs.Poisoned(host.Accelerator, episodes);
        using var normalized = Inputs.Poisoned(host.Accelerator, episodes);

        CompressionPenalty.Run(host, gradientBuffer.View, fisherBuffer.View, EpisodeScopes, raw.View, normalized.View,
            Rank, 0.7f, estimator, normalization);

        var reference = CompressionPenalty.Reference(gradient, fisher, EpisodeScopes, Rank, 0.7f, estimator, normalization);
        Close.Assert(reference.Raw, raw.GetAsArray1D(), "C");
        Close.Assert(reference.Normalized, normalized.GetAsArray1D(), "C̃");
    }

    public static TheoryData<AcceleratorKind, PenaltyEstimator, PenaltyNormalization> PenaltyCases()
    {
        var cases = new TheoryData<AcceleratorKind, PenaltyEstimator, PenaltyNormalization>();
        foreach (var kind in Accelerators.All)
            foreach (var estimator in Enum.GetValues<PenaltyEstimator>())
                foreach (var normalization in Enum.GetValues<PenaltyNormalization>())
                    cases.Add(kind, estimator, normalization);
        return cases;
    }

    [Theory, MemberData(nameof(Accelerators.Kinds), MemberType = typeof(Accelerators))]
    public void ZeroPenaltiesNormaliseToZero(AcceleratorKind kind)
    {
        var host = accelerators.Get(kind);
        var gradient = new float[2 * Rank * Rank]; // a scope whose episodes leave no update: mean C is 0
        using var gradientBuffer = host.Accelerator.Allocate1D(gradient);
        using var fisherBuffer = host.Accelerator.Allocate1D(new Inputs(24).Uniform(Rank * Rank, 0.5, 1));
        using var raw = Inputs.Poisoned(host.Accelerator, 2);
        using var normalized = Inputs.Poisoned(host.Accelerator, 2);

        CompressionPenalty.Run(host, gradientBuffer.View, fisherBuffer.View, [new IndexRange(0, 2)], raw.View, normalized.View,
            Rank, 1, PenaltyEstimator.Diag, PenaltyNormalization.Mean);

        Assert.Equal([0f, 0f], normalized.GetAsArray1D());
    }

    [Theory, MemberData(nameof(Accelerators.Kinds), MemberType = typeof(Accelerators))]
    public void EmptyEpisodesAndScopesAreRejected(AcceleratorKind kind)
    {
        var host = accelerators.Get(kind);
        using var u = host.Accelerator.Allocate1D<float>(10 * Rank);
        using var gradient = host.Accelerator.Allocate1D<float>(2 * Rank * Rank);
        using var fisher = host.Accelerator.Allocate1D<float>(Rank * Rank);
        using var penalty = host.Accelerator.Allocate1D<float>(2);

        var empty = Assert.Throws<ArgumentException>(() =>
            EpisodeGradient.Run(host, u.View, u.View, [new IndexRange(0, 4), new IndexRange(4, 0)], gradient.View, Rank));
        Assert.Contains("empty", empty.Message);
        Assert.Throws<ArgumentException>(() => DiagonalFisher.Run(host, u.View, u.View, [], fisher.View, Rank, 1e-5f));
        Assert.Throws<ArgumentException>(() => EpisodeGradient.Run(host, u.View, u.View, [new IndexRange(8, 5), new IndexRange(0, 1)], gradient.View, Rank));
        Assert.Throws<ArgumentException>(() => CompressionPenalty.Run(host, gradient.View, fisher.View, [new IndexRange(0, 1)],
            penalty.View, penalty.View, Rank, 1, PenaltyEstimator.Diag, PenaltyNormalization.Mean));
    }
}
