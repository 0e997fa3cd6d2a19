namespace Rollout.Kernels.Svd;

/// <summary>
/// The rank-r truncated SVD of the output head, W ≈ U_r diag(S_r) V_rᵀ (spec §4), with both factors stored
/// transposed, one singular vector per row (so kernels that sweep the vocabulary read them coalesced):
/// <see cref="VocabBasis"/> U_rᵀ (r × V), <see cref="HiddenBasis"/> V_rᵀ (r × d), <see cref="Singular"/> S_r descending.
/// </summary>
public sealed record HeadFactors(int Vocab, int Width, int Rank, float[] VocabBasis, double[] Singular, float[] HiddenBasis);
