namespace Rollout.Engine.L2T;

/// <summary>
/// The step features of one rollout (L2T-SPEC §4): for completion token t, u_t and v_t, each of
/// length <see cref="Rank"/>, stored row-major as T × r. Nothing of size V is kept.
/// </summary>
public sealed record StepFeatures(int Rank, float[] U, float[] V)
{
    public int Tokens => U.Length / Rank;
}

/// <summary>One episode's terms (spec §3–§5). Episodes are in the rollout's episode order.</summary>
public sealed record EpisodeScore(double FitGain, double Penalty, double PenaltyNormalized, double ProcessReward, double Reward);

/// <summary>
/// What scoring adds to a rollout: r_out, the answer probes J_0..J_K (null without a reference
/// answer), per-episode terms, per-token rewards r_t and advantages A_t, and how many A_t the clip a_max bounded.
/// </summary>
public sealed record RolloutScore(
    double OutcomeReward,
    double[]? AnswerProbes,
    IReadOnlyList<EpisodeScore> Episodes,
    float[] TokenRewards,
    float[] Advantages,
    int ClippedAdvantages);
