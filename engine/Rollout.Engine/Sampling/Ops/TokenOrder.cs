namespace Rollout.Engine.Sampling.Ops;

/// <summary>
/// The one order every truncation uses: higher weight first, lower token id first among equal
/// weights. It is strict and total, so "the k best" and "the smallest top-p set" are unique.
/// </summary>
internal readonly struct TokenOrder(double[] weights) : IComparer<int>
{
    public bool Before(int a, int b) => weights[a] > weights[b] || (weights[a] == weights[b] && a < b);

    public int Compare(int a, int b) => a == b ? 0 : Before(a, b) ? -1 : 1;
}
