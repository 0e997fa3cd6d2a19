using Rollout.Engine.Model;

namespace Rollout.Engine.Tests.Model;

/// <summary>The host head's packed float32 product against a float64 loop over the weights as stored.</summary>
public class HostHeadTests
{
    [Theory]
    // Vocabularies around a panel (96 tokens) and row counts around a row group (4), both layouts, with and without bias.
    [InlineData(1, 1, 1, false, false)]
    [InlineData(3, 95, 7, false, true)]
    [InlineData(4, 96, 64, true, false)]
    [InlineData(5, 97, 33, true, true)]
    [InlineData(16, 300, 64, false, true)]
    [InlineData(9, 193, 17, true, false)]
    public void Logits_match_a_float64_product(int rows, int vocab, int hidden, bool storedAsColumns, bool withBias)
    {
        var rng = new Random(rows * 1000 + vocab);
        var w = Values(rng, vocab * hidden); // W[v, k]
        var stored = storedAsColumns ? Transpose(w, vocab, hidden) : w;
        var bias = withBias ? Values(rng, vocab) : [];
        var h = Values(rng, rows * hidden);
        var logits = new float[rows * vocab];

        Packed(stored, storedAsColumns, bias, vocab, hidden).Logits(h, logits, rows);

        AssertProduct(h, w, bias, logits, rows, vocab, hidden);
    }

    [Fact]
    public void Replaced_weights_are_the_ones_used()
    {
        const int rows = 2, vocab = 100, hidden = 8;
        var rng = new Random(7);
        var head = Packed(Values(rng, vocab * hidden), storedAsColumns: false, [], vocab, hidden);
        var w = Values(rng, vocab * hidden);
        var bias = Values(rng, vocab);
        // As a session re-packs new weights: in place of the old, here in the other layout.
        head.SetBias(bias);
        head.PackRows(0, Transpose(w, vocab, hidden), storedAsColumns: true);
        var h = Values(rng, rows * hidden);
        var logits = new float[rows * vocab];

        head.Logits(h, logits, rows);

        AssertProduct(h, w, bias, logits, rows, vocab, hidden);
    }

    [Theory]
    // Blocks of tokens that end inside panels (96 tokens), and blocks of k's, as the session reads a head from its file.
    [InlineData(false, 50)]
    [InlineData(true, 3)]
    public void A_head_packed_a_block_of_rows_at_a_time_gives_the_product(bool storedAsColumns, int rowsPerBlock)
    {
        const int rows = 5, vocab = 250, hidden = 16;
        var rng = new Random(13);
        var w = Values(rng, vocab * hidden);
        var stored = storedAsColumns ? Transpose(w, vocab, hidden) : w;
        int width = storedAsColumns ? vocab : hidden, storedRows = stored.Length / width;
        var head = new HostHead(vocab, hidden);
        for (int first = 0; first < storedRows; first += rowsPerBlock)
            head.PackRows(first, stored.AsSpan(first * width, Math.Min(rowsPerBlock, storedRows - first) * width), storedAsColumns);
        var h = Values(rng, rows * hidden);
        var logits = new float[rows * vocab];

        head.Logits(h, logits, rows);

        AssertProduct(h, w, [], logits, rows, vocab, hidden);
    }

    [Fact]
    public void A_large_product_runs_in_parallel_with_the_same_result()
    {
        // Past the threshold where the panels are split across threads.
        const int rows = 6, vocab = 5000, hidden = 64;
        var rng = new Random(11);
        var w = Values(rng, vocab * hidden);
        var h = Values(rng, rows * hidden);
        var logits = new float[rows * vocab];

        Packed(w, storedAsColumns: false, [], vocab, hidden).Logits(h, logits, rows);

        AssertProduct(h, w, [], logits, rows, vocab, hidden);
    }

    private static void AssertProduct(float[] h, float[] w, float[] bias, float[] logits, int rows, int vocab, int hidden)
    {
        Assert.Equal(rows * vocab, logits.Length);
        for (int r = 0; r < rows; r++)
            for (int v = 0; v < vocab; v++)
            {
                double expected = bias.Length > 0 ? bias[v] : 0, scale = Math.Abs(expected);
                for (int k = 0; k < hidden; k++)
                {
                    expected += (double)h[r * hidden + k] * w[v * hidden + k];
                    scale += Math.Abs((double)h[r * hidden + k] * w[v * hidden + k]);
                }
                // float32 sums: a few units of 2⁻²⁴ of the terms' magnitudes per term.
                Assert.True(Math.Abs(logits[r * vocab + v] - expected) <= 1e-6 * (scale + 1) * Math.Sqrt(hidden + 1),
                    $"row {r} token {v}: {logits[r * vocab + v]:R}, expected {expected:R}");
            }
    }

    /// <summary>A head packed from all of W at once (<paramref name="stored"/>: [V, d], or [d, V] when <paramref name="storedAsColumns"/>).</summary>
    private static HostHead Packed(float[] stored, bool storedAsColumns, float[] bias, int vocab, int hidden)
    {
        var head = new HostHead(vocab, hidden);
        head.SetBias(bias);
        head.PackRows(0, stored, storedAsColumns);
        return head;
    }

    private static float[] Values(Random rng, int count) => Enumerable.Range(0, count).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();

    private static float[] Transpose(float[] w, int vocab, int hidden)
    {
        var t = new float[w.Length];
        for (int v = 0; v < vocab; v++)
            for (int k = 0; k < hidden; k++) t[k * vocab + v] = w[v * hidden + k];
        return t;
    }
}
