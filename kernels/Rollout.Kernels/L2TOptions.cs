namespace Rollout.Kernels;

/// <summary>Which tokens one diagonal Fisher averages over (spec §4).</summary>
public enum FisherScope { Group, Batch }

/// <summary>How an episode's compression penalty C_k is estimated (spec §4).</summary>
public enum PenaltyEstimator
{
    /// <summary>C_k = Σ_ab F_ab (η G_k)_ab².</summary>
    Diag,

    /// <summary>C_k = η² ‖G_k‖_F⁴ (paper Eq. 4 taken literally).</summary>
    Rank1,
}

/// <summary>Whether C_k is divided by its mean over the scope's episodes (spec §4).</summary>
public enum PenaltyNormalization { Mean, Raw }

/// <summary>The advantage a rollout's tokens get (spec §5).</summary>
public enum AdvantageBaseline
{
    /// <summary>L2T dense credit: A_t = clip(Â_i r_t / s_i, ±a_max), s_i the truncated mean of |r_t|.</summary>
    L2T,

    /// <summary>Outcome advantage plus the normalised process reward-to-go of the token's episode: A_t = Â^out_i + Ĝ_(i,k(t)).</summary>
    L2TRewardToGo,

    /// <summary>GRPO: every token gets Â_i computed from r_out alone.</summary>
    Grpo,

    /// <summary>Length-penalised outcome r_out − γ·tokens/budget, normalised in the group, on every token.</summary>
    Length,
}

/// <summary>The L2T reward settings, with the defaults of spec §7 (the update step's are its own).</summary>
public sealed record L2TOptions
{
    /// <summary>α: weight of the progress reward in R_k.</summary>
    public double Alpha { get; init; } = 0.8;

    /// <summary>β: weight of the compression penalty in r^prg_k.</summary>
    public double Beta { get; init; } = 0.6;

    /// <summary>λ: damping added to every diagonal Fisher entry.</summary>
    public double FisherDamping { get; init; } = 1e-5;

    /// <summary>r: rank of the head's truncated SVD and side of the core M.</summary>
    public int Rank { get; init; } = 32;

    /// <summary>η: step size of the single-episode update Δ_k = η G_k.</summary>
    public double EpisodeStep { get; init; } = 1;

    public FisherScope Scope { get; init; } = FisherScope.Group;
    public PenaltyEstimator Estimator { get; init; } = PenaltyEstimator.Diag;
    public PenaltyNormalization Normalization { get; init; } = PenaltyNormalization.Mean;

    /// <summary>Added to r_out of a completion with no parsable episode.</summary>
    public double FormatPenalty { get; init; } = -0.01;

    /// <summary>Fraction of token rewards the truncated mean keeps (the rest is dropped equally at both ends).</summary>
    public double TruncatedMeanKeep { get; init; } = 0.95;

    public AdvantageBaseline Baseline { get; init; } = AdvantageBaseline.L2T;

    /// <summary>a_max: L2T token advantages are clipped to [−a_max, a_max].</summary>
    public double AdvantageClip { get; init; } = 5;

    /// <summary>γ of the <see cref="AdvantageBaseline.Length"/> baseline.</summary>
    public double LengthPenalty { get; init; } = 0.5;

    /// <summary>Randomized SVD: extra sampled directions beyond r, power iterations, and the seed of the test matrix.</summary>
    public int SvdOversampling { get; init; } = 10;
    public int SvdPowerIterations { get; init; } = 2;
    public int SvdSeed { get; init; } = 1234;
}
