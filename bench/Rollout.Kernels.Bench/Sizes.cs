using Rollout.Kernels.Runtime;

namespace Rollout.Kernels.Bench;

/// <summary>
/// The real sizes every benchmark runs at: a Qwen2.5-0.5B-sized head (V = 151936, d = 896) with rank r = 32 and 64
/// rows per decode step; per episode and per reward the batch of bench/results/kernels-h100: 64 rollouts × 512 tokens
/// (N = 32768) in 8 groups, 8 episodes of 64 tokens each (K = 512). Constants, so the traffic formulas beside the
/// benchmarks can be attribute arguments.
/// </summary>
internal static class Sizes
{
    public const int Vocab = 151936;
    public const int Width = 896;
    public const int Rank = 32;
    public const int Rows = 64;

    public const int Rollouts = 64;
    public const int TokensPerRollout = 512;
    public const int EpisodesPerRollout = 8;
    public const int Groups = 8;
    public const int Tokens = Rollouts * TokensPerRollout;
    public const int Episodes = Rollouts * EpisodesPerRollout;

    /// <summary>Bytes of one float32, int32 and float64 element.</summary>
    public const long F = sizeof(float), I = sizeof(int), D = sizeof(double);

    /// <summary>Bytes of one <see cref="IndexRange"/>: the episode or scope list an op reads once.</summary>
    public const long R = 2 * sizeof(int);

    /// <summary>Each rollout's tokens.</summary>
    public static IndexRange[] RolloutRanges => Tile(Rollouts, TokensPerRollout);

    /// <summary>Each episode's tokens (episodes tile the tokens).</summary>
    public static IndexRange[] EpisodeRanges => Tile(Episodes, TokensPerRollout / EpisodesPerRollout);

    /// <summary>Each group's tokens: the scopes of the group-wise Fisher.</summary>
    public static IndexRange[] GroupTokens => Tile(Groups, Tokens / Groups);

    /// <summary>Each group's episodes, as indices into the episode list.</summary>
    public static IndexRange[] GroupEpisodes => Tile(Groups, Episodes / Groups);

    private static IndexRange[] Tile(int count, int length) =>
        Enumerable.Range(0, count).Select(i => new IndexRange(i * length, length)).ToArray();
}
