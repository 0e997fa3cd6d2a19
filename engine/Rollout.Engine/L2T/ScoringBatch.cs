using Rollout.Engine.Episodes;
using Rollout.Kernels;
using Rollout.Kernels.Runtime;

namespace Rollout.Engine.L2T;

/// <summary>
/// One generation batch laid out flat for the kernels: every rollout's tokens in one array (groups in order, each
/// group's rollouts in order), their step features and old log-probabilities beside them, and the credit spans of
/// every rollout (spec §2) in one episode list. Ranges may be empty (a rollout with no tokens); the kernels take only
/// non-empty ones.
/// </summary>
internal sealed class ScoringBatch
{
    private ScoringBatch(IReadOnlyList<IReadOnlyList<ScoringInput>> groups, int rank)
    {
        Rank = rank;
        Inputs = [.. groups.SelectMany(g => g)];
        var rollouts = new List<IndexRange>();
        var rolloutEpisodes = new List<IndexRange>();
        var credit = new List<IndexRange>();
        var groupRollouts = new List<IndexRange>();
        int tokens = 0;
        foreach (var group in groups)
        {
            groupRollouts.Add(new IndexRange(rollouts.Count, group.Count));
            foreach (var input in group)
            {
                var count = input.Rollout.TokenIds.Length;
                rollouts.Add(new IndexRange(tokens, count));
                var spans = CreditSpans.From(input.Rollout.Episodes, count);
                rolloutEpisodes.Add(new IndexRange(credit.Count, spans.Length));
                foreach (var span in spans) credit.Add(new IndexRange(tokens + span.Start, span.Length));
                tokens += count;
            }
        }
        Rollouts = [.. rollouts];
        RolloutEpisodes = [.. rolloutEpisodes];
        Credit = [.. credit];
        GroupRollouts = [.. groupRollouts];
        TokenCount = tokens;
        U = new float[tokens * rank];
        V = new float[tokens * rank];
        OldLogprobs = new float[tokens];
        for (int i = 0; i < Inputs.Length; i++)
        {
            var input = Inputs[i];
            input.Features.U.CopyTo(U, Rollouts[i].Start * rank);
            input.Features.V.CopyTo(V, Rollouts[i].Start * rank);
            input.Rollout.Logprobs.CopyTo(OldLogprobs, Rollouts[i].Start);
        }
    }

    public int Rank { get; }

    /// <summary>The rollouts of all groups, in order.</summary>
    public ScoringInput[] Inputs { get; }

    /// <summary>Per rollout, its tokens in the flat token array.</summary>
    public IndexRange[] Rollouts { get; }

    /// <summary>Per rollout, its episodes in <see cref="Credit"/>.</summary>
    public IndexRange[] RolloutEpisodes { get; }

    /// <summary>Per episode (all rollouts' episodes, in order), its credit span in the flat token array.</summary>
    public IndexRange[] Credit { get; }

    /// <summary>Per group, its rollouts in <see cref="Inputs"/>.</summary>
    public IndexRange[] GroupRollouts { get; }

    public int TokenCount { get; }

    /// <summary>Step features, <see cref="TokenCount"/> × <see cref="Rank"/> row-major each.</summary>
    public float[] U { get; }
    public float[] V { get; }

    /// <summary>log π_old(z_t) per token.</summary>
    public float[] OldLogprobs { get; }

    /// <summary>The token ranges one Fisher each averages over: one per group, or the whole batch.</summary>
    public IndexRange[] TokenScopes(FisherScope scope) => scope == FisherScope.Batch
        ? [new IndexRange(0, TokenCount)]
        : [.. GroupRollouts.Select(g => new IndexRange(Rollouts[g.Start].Start, Rollouts[g.End - 1].End - Rollouts[g.Start].Start))];

    /// <summary>The episode ranges C̃ is normalised over, matching <see cref="TokenScopes"/>.</summary>
    public IndexRange[] EpisodeScopes(FisherScope scope) => scope == FisherScope.Batch
        ? [new IndexRange(0, Credit.Length)]
        : [.. GroupRollouts.Select(g => new IndexRange(RolloutEpisodes[g.Start].Start, RolloutEpisodes[g.End - 1].End - RolloutEpisodes[g.Start].Start))];

    /// <summary>Checks the batch and lays it out; every problem is an <see cref="ArgumentException"/> naming the rollout.</summary>
    public static ScoringBatch Build(IReadOnlyList<IReadOnlyList<ScoringInput>> groups, int rank)
    {
        ArgumentNullException.ThrowIfNull(groups);
        if (groups.Count == 0) throw new ArgumentException("No groups to score.", nameof(groups));
        for (int g = 0; g < groups.Count; g++)
        {
            if (groups[g] is null || groups[g].Count == 0)
                throw new ArgumentException($"Group {g} has no rollouts.", nameof(groups));
            for (int i = 0; i < groups[g].Count; i++) Check(groups[g][i], rank, $"group {g}, rollout {i}");
        }
        return new ScoringBatch(groups, rank);
    }

    private static void Check(ScoringInput input, int rank, string where)
    {
        var rollout = input.Rollout;
        var features = input.Features;
        int tokens = rollout.TokenIds.Length;
        if (features.Rank != rank)
            throw new ArgumentException($"{where}: step features have rank {features.Rank}; the options say {rank}.");
        if (features.U.Length != tokens * rank || features.V.Length != tokens * rank)
            throw new ArgumentException($"{where}: {tokens} tokens need {tokens * rank} values in u and v; got {features.U.Length} and {features.V.Length}.");
        if (rollout.Logprobs.Length != tokens)
            throw new ArgumentException($"{where}: {tokens} tokens but {rollout.Logprobs.Length} log-probabilities.");
        if (rollout.Episodes.Count == 0)
            throw new ArgumentException($"{where}: no episodes (a segmentation always has at least one).");
        int previousEnd = 0;
        foreach (var e in rollout.Episodes)
        {
            if (e.Start < previousEnd || e.End < e.Start || e.End > tokens)
                throw new ArgumentException($"{where}: episode {e.Index} [{e.Start}, {e.End}) is out of order or outside the {tokens} tokens.");
            previousEnd = e.End;
        }
        if (input.AnswerProbes is { } probes)
        {
            if (probes.Length != rollout.Episodes.Count + 1)
                throw new ArgumentException($"{where}: {rollout.Episodes.Count} episodes need {rollout.Episodes.Count + 1} answer probes J_0..J_K; got {probes.Length}.");
            if (!probes.All(double.IsFinite))
                throw new ArgumentException($"{where}: an answer probe is not finite.");
        }
    }
}
