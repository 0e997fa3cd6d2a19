using ILGPU;
using ILGPU.Runtime;
using Rollout.Kernels.Runtime;

namespace Rollout.Kernels.Sampling;

/// <summary>
/// One token per row of logits (rows × V) under <see cref="SamplingSettings"/> and one uniform u ∈ [0, 1) per row, so
/// that on a GPU the logits never leave the device. The engine's Sampler semantics: weights w_i = exp((ℓ_i − max)/τ)
/// in float64 (the top token weighs exactly 1), ordered by weight descending and then id ascending; top-k keeps the
/// first k, top-p the shortest prefix of the survivors whose weight reaches p of theirs, min-p those of weight ≥ min-p;
/// the draw walks the kept tokens in id order to the first whose cumulative weight exceeds u·total. Greedy: arg max,
/// lowest id on ties. A row with a NaN or +∞ logit, or only −∞ logits, gets <see cref="InvalidRow"/>.
/// <para>
/// Beside the draw: <see cref="Penalize"/> rewrites the logits of the tokens in each row's history (vLLM's repetition,
/// presence and frequency penalties; −∞ for tokens suppressed until a minimum length) in place before the row is
/// sampled, and <see cref="TopLogits"/> finds each row's most likely tokens for reporting.
/// </para>
/// </summary>
public static class TokenSampling
{
    /// <summary>The token of a row that cannot be sampled (a NaN or +∞ logit, or every logit −∞): the host reports an error.</summary>
    public const int InvalidRow = -1;

    /// <summary>Float64 reference for one row: sorts the vocabulary, then truncates and draws as the engine does.</summary>
    /// <exception cref="ArgumentException">An empty row or invalid settings.</exception>
    public static int Reference(ReadOnlySpan<float> logits, SamplingSettings settings, double u)
    {
        settings.Validate();
        if (logits.IsEmpty) throw new ArgumentException("The logits row is empty.", nameof(logits));

        float max = float.NegativeInfinity;
        foreach (var logit in logits)
        {
            if (float.IsNaN(logit) || float.IsPositiveInfinity(logit)) return InvalidRow;
            if (logit > max) max = logit;
        }
        if (float.IsNegativeInfinity(max)) return InvalidRow;

        if (settings.Greedy)
        {
            int best = 0;
            for (int i = 1; i < logits.Length; i++)
                if (logits[i] > logits[best]) best = i;
            return best;
        }

        var weights = new double[logits.Length];
        for (int i = 0; i < logits.Length; i++) weights[i] = Weight(logits[i], max, settings.Temperature);
        var order = Enumerable.Range(0, logits.Length).ToArray();
        Array.Sort(order, (a, b) => weights[a] != weights[b] ? weights[b].CompareTo(weights[a]) : a.CompareTo(b));

        int survivors = order.Length;
        if (settings.TopK > 0 && settings.TopK < survivors) survivors = settings.TopK;
        if (settings.TopP < 1)
        {
            double mass = 0;
            for (int j = 0; j < survivors; j++) mass += weights[order[j]];
            double need = settings.TopP * mass, cumulative = 0;
            for (int j = 0; j < survivors; j++)
            {
                cumulative += weights[order[j]];
                if (cumulative >= need)
                {
                    survivors = j + 1;
                    break;
                }
            }
        }
        var kept = order.Take(survivors).ToList();
        if (settings.MinP > 0)
        {
            double threshold = settings.MinP * weights[order[0]];
            kept = kept.Where(id => weights[id] >= threshold).ToList();
        }

        kept.Sort();
        double total = 0;
        foreach (var id in kept) total += weights[id];
        double target = u * total, sum = 0;
        int last = InvalidRow;
        foreach (var id in kept)
        {
            if (weights[id] <= 0) continue;
            sum += weights[id];
            last = id;
            if (sum > target) return id;
        }
        return last; // rounding left the target at the sum: the last positive token
    }

    /// <summary>
    /// Writes one token per row to <paramref name="tokens"/> (its length is the number of rows) from
    /// <paramref name="logits"/> (rows × vocab) and <paramref name="uniforms"/> (one u ∈ [0, 1) per row, drawn by the
    /// host; greedy ignores them). A row that cannot be sampled gets <see cref="InvalidRow"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A non-positive vocabulary, no rows, invalid settings, or lengths that do not match.</exception>
    public static void Run(AcceleratorHost host, ArrayView<float> logits, ArrayView<double> uniforms, ArrayView<int> tokens,
        int vocab, SamplingSettings settings)
    {
        Require.Positive(vocab, nameof(vocab));
        settings.Validate();
        var rows = tokens.Length;
        Require.Positive(rows, "rows");
        Require.Length(logits, rows * vocab, nameof(logits));
        Require.Length(uniforms, rows, nameof(uniforms));
        host.Dispatch(
            () => Managed(logits, uniforms, tokens, vocab, settings),
            () =>
            {
                var kernel = host.Kernel(static a => a.LoadStreamKernel<ArrayView<float>, ArrayView<double>,
                    ArrayView<int>, int, SamplingSettings>(Kernel));
                kernel(host.WideReductionLaunch((int)rows), logits, uniforms, tokens, vocab, settings);
            });
    }

    /// <summary>The host form: <see cref="Reference"/> on each row, rows in parallel (for parity; the engine samples on the CPU itself).</summary>
    private static void Managed(ArrayView<float> logits, ArrayView<double> uniforms, ArrayView<int> tokens, int vocab,
        SamplingSettings settings)
    {
        HostView<float> scores = logits.OnHost();
        HostView<double> draws = uniforms.OnHost();
        HostView<int> output = tokens.OnHost();
        HostLoop.For(output.Length, (long)vocab * 16, row =>
            output.Span[row] = Reference(scores.Span.Slice(row * vocab, vocab), settings, draws.Span[row]));
    }

    /// <summary>
    /// One group per row, no sorting and no scratch beyond the group's: each truncation is found as a cut in the
    /// sampling order by bisection over the logits' 32-bit order-preserving image, with counts and masses reduced over
    /// the group, and the ties at the cut broken by id; then a scan of contiguous chunks' weights locates the draw.
    /// </summary>
    private static void Kernel(ArrayView<float> logits, ArrayView<double> uniforms, ArrayView<int> tokens, int vocab,
        SamplingSettings settings)
    {
        int row = Grid.IdxX;
        var x = logits.SubView((long)row * vocab, vocab);

        // The max, and whether the row can be sampled at all. NaN is kept out of the max: MathF.Max's NaN rule differs between backends.
        float localMax = float.NegativeInfinity;
        int localInvalid = 0;
        for (int i = Group.IdxX; i < vocab; i += Group.DimX)
        {
            float logit = x[i];
            if (float.IsNaN(logit) || logit == float.PositiveInfinity) localInvalid = 1;
            else localMax = MathF.Max(localMax, logit);
        }
        bool invalid = GroupReduce.Max(localInvalid) != 0;
        float max = GroupReduce.Max(localMax);
        if (invalid || max == float.NegativeInfinity)
        {
            Write(tokens, row, InvalidRow);
            return;
        }

        if (settings.Greedy)
        {
            // Each thread's first hit is its lowest id (its ids ascend), so the group minimum is the lowest of all.
            int first = int.MaxValue;
            for (int i = Group.IdxX; i < vocab; i += Group.DimX)
                if (x[i] == max)
                {
                    first = i;
                    break;
                }
            Write(tokens, row, GroupReduce.Min(first));
            return;
        }

        double temperature = settings.Temperature;
        var topK = settings.TopK > 0 && settings.TopK < vocab
            ? TopKCut(x, vocab, settings.TopK, max, temperature)
            : Cut.None;
        var topP = settings.TopP < 1 ? TopPCut(x, vocab, settings.TopP, topK, max, temperature) : Cut.None;
        // Min-p compares with the largest survivor's weight, which is 1: the top token survives every cut.
        double minWeight = settings.MinP;
        Write(tokens, row, Draw(x, vocab, uniforms[row], topK, topP, minWeight, max, temperature));
    }

    /// <summary>
    /// Float64 reference for one row's penalties, vLLM's definitions step by step: a token in the prompt or the output
    /// so far has its logit divided by the repetition penalty when positive and multiplied by it otherwise; then the
    /// frequency penalty times its output count and, when that count is positive, the presence penalty are subtracted.
    /// A suppressed token gets −∞. Returns the penalised copy; tokens not listed keep their logits.
    /// </summary>
    /// <exception cref="ArgumentException">Invalid settings.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A token id outside the row.</exception>
    public static float[] PenalizeReference(ReadOnlySpan<float> logits, ReadOnlySpan<TokenPenalty> penalties, SamplingSettings settings)
    {
        settings.Validate();
        var result = logits.ToArray();
        foreach (var token in penalties)
        {
            if ((uint)token.TokenId >= (uint)result.Length)
                throw new ArgumentOutOfRangeException(nameof(penalties), $"Token {token.TokenId} lies outside the row ({result.Length}).");
            if (token.Suppressed)
            {
                result[token.TokenId] = float.NegativeInfinity;
                continue;
            }
            double logit = result[token.TokenId];
            if (token.InPrompt || token.OutputCount > 0)
                logit = logit > 0 ? logit / settings.RepetitionPenalty : logit * settings.RepetitionPenalty;
            logit -= settings.FrequencyPenalty * token.OutputCount;
            if (token.OutputCount > 0) logit -= settings.PresencePenalty;
            result[token.TokenId] = (float)logit;
        }
        return result;
    }

    /// <summary>
    /// Applies each row's penalties to <paramref name="logits"/> (rows × vocab) in place, before the row is sampled
    /// (<see cref="Run"/>) or scored, so that both see the penalised distribution. Row i's tokens are
    /// <paramref name="penalties"/>[offsets[i]..offsets[i + 1]], each token at most once per row; rows × vocab is
    /// offsets.Length − 1 rows. Nothing runs when no row lists a token.
    /// </summary>
    /// <exception cref="ArgumentException">A non-positive vocabulary, invalid settings, offsets that do not run from 0 to the
    /// number of penalties without decreasing, logits of another length, or a token id outside the vocabulary.</exception>
    public static void Penalize(AcceleratorHost host, ArrayView<float> logits, ReadOnlySpan<TokenPenalty> penalties,
        ReadOnlySpan<int> offsets, int vocab, SamplingSettings settings)
    {
        Require.Positive(vocab, nameof(vocab));
        settings.Validate();
        int rows = offsets.Length - 1;
        Require.Positive(rows, "rows");
        Require.Length(logits, (long)rows * vocab, nameof(logits));
        if (offsets[0] != 0 || offsets[rows] != penalties.Length)
            throw new ArgumentException($"The offsets must run from 0 to {penalties.Length} (got {offsets[0]} to {offsets[rows]}).", nameof(offsets));
        for (int row = 0; row < rows; row++)
            if (offsets[row + 1] < offsets[row])
                throw new ArgumentException($"Offset {row + 1} ({offsets[row + 1]}) lies below offset {row} ({offsets[row]}).", nameof(offsets));
        foreach (var token in penalties)
            if ((uint)token.TokenId >= (uint)vocab)
                throw new ArgumentException($"Token {token.TokenId} lies outside the vocabulary ({vocab}).", nameof(penalties));
        if (penalties.IsEmpty) return;

        var entries = penalties.ToArray();
        var bounds = offsets.ToArray();
        host.Dispatch(
            () =>
            {
                var scores = logits.OnHost().Span;
                for (int row = 0; row < rows; row++)
                    for (int j = bounds[row]; j < bounds[row + 1]; j++)
                    {
                        long at = (long)row * vocab + entries[j].TokenId;
                        scores[(int)at] = Penalized(scores[(int)at], entries[j], settings);
                    }
            },
            () =>
            {
                using var entryBuffer = host.Accelerator.Allocate1D(entries);
                using var boundBuffer = host.Accelerator.Allocate1D(bounds);
                var kernel = host.Kernel(static a => a.LoadStreamKernel<ArrayView<float>, ArrayView<TokenPenalty>, ArrayView<int>,
                    int, SamplingSettings>(PenaltyKernel));
                kernel(host.GroupLaunch(rows), logits, entryBuffer.View, boundBuffer.View, vocab, settings);
                host.Accelerator.Synchronize(); // the buffers are freed on return
            });
    }

    /// <summary>One group per row; its threads take the row's listed tokens in turn (each token once, so no two write one logit).</summary>
    private static void PenaltyKernel(ArrayView<float> logits, ArrayView<TokenPenalty> penalties, ArrayView<int> offsets, int vocab,
        SamplingSettings settings)
    {
        int row = Grid.IdxX;
        for (int j = offsets[row] + Group.IdxX; j < offsets[row + 1]; j += Group.DimX)
        {
            var token = penalties[j];
            long at = (long)row * vocab + token.TokenId;
            logits[at] = Penalized(logits[at], token, settings);
        }
    }

    /// <summary>
    /// One token's penalised logit, in float64 and rounded once: the kernel's and the managed path's arithmetic, the
    /// reference's steps. At the neutral values every step is exact, so a listed token keeps its logit bit for bit.
    /// </summary>
    private static float Penalized(float logit, TokenPenalty token, SamplingSettings settings)
    {
        if (token.Suppressed) return float.NegativeInfinity;
        double value = logit;
        bool seen = token.OutputCount > 0;
        if (seen || token.InPrompt) value = value > 0 ? value / settings.RepetitionPenalty : value * settings.RepetitionPenalty;
        value -= settings.FrequencyPenalty * token.OutputCount;
        if (seen) value -= settings.PresencePenalty;
        return (float)value;
    }

    /// <summary>
    /// Float64 reference (a sort) for one row: the <paramref name="k"/> largest logits, largest first and ties by lowest
    /// id, with their ids. Log-probabilities under softmax(ℓ/τ) rise with the logit, so these are the row's k most
    /// likely tokens, in the order their log-probabilities fall. A row with a NaN gets <see cref="InvalidRow"/> ids.
    /// </summary>
    /// <exception cref="ArgumentException">An empty row, or k outside [1, row length].</exception>
    public static (int TokenId, float Logit)[] TopLogitsReference(ReadOnlySpan<float> logits, int k)
    {
        if (logits.IsEmpty) throw new ArgumentException("The logits row is empty.", nameof(logits));
        if (k < 1 || k > logits.Length) throw new ArgumentException($"k must lie in [1, {logits.Length}] (got {k}).", nameof(k));
        var row = logits.ToArray();
        if (row.Any(float.IsNaN)) return Enumerable.Repeat((InvalidRow, float.NaN), k).ToArray();
        var order = Enumerable.Range(0, row.Length).ToArray();
        Array.Sort(order, (a, b) => row[a] != row[b] ? row[b].CompareTo(row[a]) : a.CompareTo(b));
        return order.Take(k).Select(id => (id, row[id])).ToArray();
    }

    /// <summary>
    /// Writes each row's <paramref name="k"/> largest logits (largest first, ties by lowest id) to
    /// <paramref name="values"/> and their ids to <paramref name="ids"/> (rows × k each) from <paramref name="logits"/>
    /// (rows × vocab): the tokens of the top log-probabilities, which the caller forms with the row's normaliser, so
    /// they agree with the sampled token's own. A row with a NaN gets <see cref="InvalidRow"/> ids.
    /// </summary>
    /// <exception cref="ArgumentException">A non-positive vocabulary, k outside [1, vocab], or lengths that do not match.</exception>
    public static void TopLogits(AcceleratorHost host, ArrayView<float> logits, ArrayView<int> ids, ArrayView<float> values, int vocab, int k)
    {
        Require.Positive(vocab, nameof(vocab));
        if (k < 1 || k > vocab) throw new ArgumentException($"k must lie in [1, {vocab}] (got {k}).", nameof(k));
        long rows = logits.Length / vocab;
        Require.Positive(rows, "rows");
        Require.Length(logits, rows * vocab, nameof(logits));
        Require.Length(ids, rows * k, nameof(ids));
        Require.Length(values, rows * k, nameof(values));
        host.Dispatch(
            () =>
            {
                HostView<float> scores = logits.OnHost(), top = values.OnHost();
                HostView<int> tokens = ids.OnHost();
                HostLoop.For((int)rows, (long)vocab * 16, row =>
                {
                    var best = TopLogitsReference(scores.Span.Slice(row * vocab, vocab), k);
                    for (int j = 0; j < k; j++) (tokens.Span[row * k + j], top.Span[row * k + j]) = best[j];
                });
            },
            () =>
            {
                var kernel = host.Kernel(static a => a.LoadStreamKernel<ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int>(TopLogitsKernel));
                kernel(host.ReductionLaunch((int)rows), logits, ids, values, vocab, k);
            });
    }

    /// <summary>
    /// One group per row, k rounds: each takes the largest logit among the tokens after the previous pick in the order
    /// (logit descending, then id ascending), then the lowest id holding it. k is small (vLLM allows 20), so k sweeps
    /// of the row cost less than sorting it.
    /// </summary>
    private static void TopLogitsKernel(ArrayView<float> logits, ArrayView<int> ids, ArrayView<float> values, int vocab, int k)
    {
        int row = Grid.IdxX;
        var x = logits.SubView((long)row * vocab, vocab);
        int localInvalid = 0;
        for (int i = Group.IdxX; i < vocab; i += Group.DimX)
            if (float.IsNaN(x[i])) localInvalid = 1;
        if (GroupReduce.Max(localInvalid) != 0)
        {
            for (int j = Group.IdxX; j < k; j += Group.DimX)
            {
                ids[(long)row * k + j] = InvalidRow;
                values[(long)row * k + j] = float.NaN;
            }
            return;
        }

        float previous = float.PositiveInfinity;
        int previousId = -1;
        for (int j = 0; j < k; j++)
        {
            float localBest = float.NegativeInfinity;
            for (int i = Group.IdxX; i < vocab; i += Group.DimX)
                if (After(x[i], i, previous, previousId)) localBest = MathF.Max(localBest, x[i]);
            float best = GroupReduce.Max(localBest);
            // Each thread's first hit is its lowest id (its ids ascend), so the group minimum is the lowest of all.
            int first = int.MaxValue;
            for (int i = Group.IdxX; i < vocab; i += Group.DimX)
                if (x[i] == best && After(x[i], i, previous, previousId))
                {
                    first = i;
                    break;
                }
            int id = GroupReduce.Min(first);
            if (Group.IdxX == 0)
            {
                ids[(long)row * k + j] = id;
                values[(long)row * k + j] = best;
            }
            previous = best;
            previousId = id;
        }
    }

    /// <summary>Whether a token comes after (<paramref name="previous"/>, <paramref name="previousId"/>) in the order logit descending, id ascending.</summary>
    private static bool After(float logit, int id, float previous, int previousId) =>
        logit < previous || (logit == previous && id > previousId);

    /// <summary>
    /// The cut after the k-th token in the sampling order. Weights do not decrease as logits grow, so the k-th largest
    /// weight is the weight of the k-th largest logit, which a bisection over the logits' keys finds; the tokens heavier
    /// than it survive, and the ties at it by lowest id until k have.
    /// </summary>
    private static Cut TopKCut(ArrayView<float> x, int vocab, int k, float max, double temperature)
    {
        // The largest key with at least k logits at or above it, built from the top bit down.
        uint threshold = 0;
        for (int bit = 31; bit >= 0; bit--)
        {
            uint candidate = threshold | (1u << bit);
            if (CountAtOrAbove(x, vocab, candidate) >= k) threshold = candidate;
        }
        double weight = Weight(FromKey(threshold), max, temperature);
        var (_, heavier, _) = AboveAndTies(x, vocab, weight, Cut.None, max, temperature);
        return new Cut(weight, NthTie(x, vocab, k - heavier, weight, Cut.None, max, temperature));
    }

    /// <summary>
    /// The cut after the shortest prefix of the top-k survivors (in the sampling order) whose weight reaches p of
    /// theirs. The mass at or above a key only falls as the key rises, so a bisection over the keys finds the logit,
    /// hence the weight, of the prefix's last token; the ties at that weight join by lowest id until the mass is reached.
    /// </summary>
    private static Cut TopPCut(ArrayView<float> x, int vocab, double p, Cut topK, float max, double temperature)
    {
        // Key 0 lies at or below every logit's key: this is the survivors' total, summed as every bisection step sums.
        double need = p * MassAtOrAbove(x, vocab, 0, topK, max, temperature);
        uint threshold = 0;
        for (int bit = 31; bit >= 0; bit--)
        {
            uint candidate = threshold | (1u << bit);
            if (MassAtOrAbove(x, vocab, candidate, topK, max, temperature) >= need) threshold = candidate;
        }
        double weight = Weight(FromKey(threshold), max, temperature);
        var (heavierMass, _, ties) = AboveAndTies(x, vocab, weight, topK, max, temperature);
        // Every tie adds the same weight; at least one joins (the prefix is never empty), at most all of them.
        double wanted = (need - heavierMass) / weight;
        int take = wanted >= ties ? ties : !(wanted > 1) ? 1 : RoundUp(wanted);
        return new Cut(weight, NthTie(x, vocab, take, weight, topK, max, temperature));
    }

    /// <summary>
    /// The drawn token: each thread sums the kept weights of its contiguous chunk of ids, a serial scan of those sums
    /// tiles [0, total) with the chunks in id order, and the one thread whose interval holds u·total walks its chunk.
    /// </summary>
    private static int Draw(ArrayView<float> x, int vocab, double u, Cut topK, Cut topP, double minWeight, float max,
        double temperature)
    {
        var (start, end) = Chunk(vocab);
        double mine = 0;
        int lastPositive = -1;
        for (int i = start; i < end; i++)
        {
            double w = Weight(x[i], max, temperature);
            if (w > 0 && Kept(w, i, topK, topP, minWeight))
            {
                mine += w;
                lastPositive = i;
            }
        }
        double before = GroupReduce.ExclusiveSum(mine, out double total);
        double target = u * total;

        int found = -1;
        if (!(target < total))
            found = lastPositive; // rounding left the target at the sum: the group max is the last positive token of all
        else if (before <= target && target < before + mine)
        {
            double sum = before;
            for (int i = start; i < end && found < 0; i++)
            {
                double w = Weight(x[i], max, temperature);
                if (!(w > 0 && Kept(w, i, topK, topP, minWeight))) continue;
                sum += w;
                if (sum > target) found = i;
            }
            // The walk re-adds the chunk on top of the prefix and may round short of the target: the chunk's last token.
            if (found < 0) found = lastPositive;
        }
        return GroupReduce.Max(found);
    }

    /// <summary>How many logits have a key at or above <paramref name="key"/>.</summary>
    private static int CountAtOrAbove(ArrayView<float> x, int vocab, uint key)
    {
        int count = 0;
        for (int i = Group.IdxX; i < vocab; i += Group.DimX)
            if (Key(x[i]) >= key) count++;
        return GroupReduce.Sum(count);
    }

    /// <summary>
    /// The weight of the tokens that <paramref name="within"/> keeps and whose logit's key is at or above
    /// <paramref name="key"/>. Every call adds in the same order and tree, masked terms adding nothing, so the mass
    /// never rises with the key, rounding included: the bisection is well defined.
    /// </summary>
    private static double MassAtOrAbove(ArrayView<float> x, int vocab, uint key, Cut within, float max, double temperature)
    {
        double mass = 0;
        for (int i = Group.IdxX; i < vocab; i += Group.DimX)
        {
            float logit = x[i];
            if (Key(logit) < key) continue;
            double w = Weight(logit, max, temperature);
            if (within.Keeps(w, i)) mass += w;
        }
        return GroupReduce.Sum(mass);
    }

    /// <summary>Among the tokens <paramref name="within"/> keeps: the mass and count of those heavier than <paramref name="weight"/>, and the count of those of exactly that weight.</summary>
    private static (double Mass, int Count, int Ties) AboveAndTies(ArrayView<float> x, int vocab, double weight, Cut within,
        float max, double temperature)
    {
        double mass = 0;
        int count = 0, ties = 0;
        for (int i = Group.IdxX; i < vocab; i += Group.DimX)
        {
            double w = Weight(x[i], max, temperature);
            if (!within.Keeps(w, i)) continue;
            if (w > weight)
            {
                mass += w;
                count++;
            }
            else if (w == weight) ties++;
        }
        return (GroupReduce.Sum(mass), GroupReduce.Sum(count), GroupReduce.Sum(ties));
    }

    /// <summary>
    /// The id of the <paramref name="rank"/>-th (from 1, in id order) token that <paramref name="within"/> keeps and that
    /// weighs exactly <paramref name="weight"/>; −1 if there are fewer. A scan of the counts in the threads' contiguous
    /// chunks tells the one thread that holds it.
    /// </summary>
    private static int NthTie(ArrayView<float> x, int vocab, int rank, double weight, Cut within, float max, double temperature)
    {
        var (start, end) = Chunk(vocab);
        int mine = 0;
        for (int i = start; i < end; i++)
            if (IsTie(x[i], i, weight, within, max, temperature)) mine++;
        int before = GroupReduce.ExclusiveSum(mine, out _);

        int found = -1;
        if (before < rank && rank <= before + mine)
        {
            int seen = before;
            for (int i = start; i < end && found < 0; i++)
                if (IsTie(x[i], i, weight, within, max, temperature) && ++seen == rank) found = i;
        }
        return GroupReduce.Max(found);
    }

    private static bool IsTie(float logit, int id, double weight, Cut within, float max, double temperature)
    {
        double w = Weight(logit, max, temperature);
        return w == weight && within.Keeps(w, id);
    }

    private static bool Kept(double w, int id, Cut topK, Cut topP, double minWeight) =>
        topK.Keeps(w, id) && topP.Keeps(w, id) && w >= minWeight;

    /// <summary>A token's weight exp((ℓ − max)/τ), computed the same way everywhere (the cuts compare weights for equality).</summary>
    private static double Weight(float logit, float max, double temperature) => Math.Exp((logit - (double)max) / temperature);

    /// <summary>
    /// The float's bits mapped to a uint that orders as the floats do (−0 just below +0): a set sign bit flips every
    /// bit (negatives order reversed), a clear one is set (positives above all negatives).
    /// </summary>
    private static uint Key(float value)
    {
        uint bits = Interop.FloatAsInt(value);
        return (bits & 0x8000_0000u) != 0 ? ~bits : bits | 0x8000_0000u;
    }

    private static float FromKey(uint key) =>
        Interop.IntAsFloat((key & 0x8000_0000u) != 0 ? key & 0x7FFF_FFFFu : ~key);

    /// <summary>This thread's contiguous run of ids, [start, end): ⌈V / group size⌉ of them, fewer or none at the end.</summary>
    private static (int Start, int End) Chunk(int vocab)
    {
        int length = (vocab + Group.DimX - 1) / Group.DimX;
        int start = Math.Min(Group.IdxX * length, vocab);
        return (start, Math.Min(start + length, vocab));
    }

    /// <summary>⌈value⌉ for 1 &lt; value &lt; 2³¹.</summary>
    private static int RoundUp(double value)
    {
        int whole = (int)value;
        return whole < value ? whole + 1 : whole;
    }

    private static void Write(ArrayView<int> tokens, int row, int token)
    {
        if (Group.IdxX == 0) tokens[row] = token;
    }

    /// <summary>
    /// A cut in the sampling order (weight descending, then id ascending): it keeps the tokens heavier than
    /// <see cref="weight"/>, and those of exactly that weight up to id <see cref="lastId"/>.
    /// </summary>
    private readonly struct Cut
    {
        private readonly double weight;
        private readonly int lastId;

        public Cut(double weight, int lastId)
        {
            this.weight = weight;
            this.lastId = lastId;
        }

        /// <summary>No cut: every weight is ≥ 0 &gt; −1.</summary>
        public static Cut None => new(-1, -1);

        public bool Keeps(double w, int id) => w > weight || (w == weight && id <= lastId);
    }
}
