using Rollout.Engine.Generation;

namespace Rollout.Training.Updates;

/// <summary>The tokens of a batch of scored rollouts, flat: u_t and v_t (N × r each) and A_t (N), rollout after rollout.</summary>
internal sealed record UpdateBatch(int Tokens, float[] U, float[] V, float[] Advantages)
{
    public static UpdateBatch Of(IReadOnlyList<RolloutResult> rollouts, int rank)
    {
        int tokens = 0;
        foreach (var r in rollouts)
        {
            var features = r.Features ?? throw new ArgumentException($"rollout {r.Sample} of '{r.PromptId}' has no step features");
            var score = r.Score ?? throw new ArgumentException($"rollout {r.Sample} of '{r.PromptId}' has no advantages");
            if (features.Rank != rank) throw new ArgumentException($"rollout {r.Sample} of '{r.PromptId}': features of rank {features.Rank}, the core has {rank}");
            if (features.Tokens != r.TokenIds.Length || score.Advantages.Length != r.TokenIds.Length)
                throw new ArgumentException($"rollout {r.Sample} of '{r.PromptId}': {r.TokenIds.Length} tokens, {features.Tokens} feature rows, {score.Advantages.Length} advantages");
            tokens += r.TokenIds.Length;
        }
        var u = new float[tokens * rank];
        var v = new float[tokens * rank];
        var advantages = new float[tokens];
        int at = 0;
        foreach (var r in rollouts)
        {
            r.Features!.U.CopyTo(u, at * rank);
            r.Features.V.CopyTo(v, at * rank);
            r.Score!.Advantages.CopyTo(advantages, at);
            at += r.TokenIds.Length;
        }
        return new UpdateBatch(tokens, u, v, advantages);
    }
}
