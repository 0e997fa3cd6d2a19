using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Rollout.Engine.Model;

/// <summary>
/// The output head's product on the host, logits = h Wᵀ + b in float32, which a CPU session runs in place of the
/// graph's MatMul (<see cref="DecoderSession"/>). At a decode step's shape (16 rows, d = 896, V = 151936) ONNX
/// Runtime's MatMul ran at ~50 GFLOP/s on this project's 2-core AVX-512 machine, 45 of a step's 75 ms; this product
/// takes ~25 ms (~175 GFLOP/s). W is packed once into panels of <see cref="PanelTokens"/> tokens, k-major, so a step streams each
/// panel from memory once and every load of it serves four rows: 24 sums of 512-bit vectors held in registers, the
/// rows' values broadcast. Without AVX-512 those sums would not fit the registers, so the graph's head runs there
/// (<see cref="Supported"/>).
/// </summary>
internal sealed class HostHead
{
    /// <summary>Tokens per panel: six 512-bit vectors.</summary>
    public const int PanelTokens = 6 * 16;

    /// <summary>Rows that share each load of a panel.</summary>
    private const int RowGroup = 4;

    /// <summary>Multiply-adds below which the product runs on the calling thread (waking the pool costs more).</summary>
    private const long ParallelThreshold = 1 << 20;

    private readonly float[] _packed;
    private readonly float[] _bias;

    public int Vocab { get; }
    public int Hidden { get; }

    /// <summary>Whether this machine runs the product in 512-bit registers, where it beats ONNX Runtime's MatMul.</summary>
    public static bool Supported => Vector512.IsHardwareAccelerated;

    /// <summary>
    /// Weights (V × d) from which a session computes the head here by default: 4 M (16 MB), more than a core's caches
    /// hold, so ONNX Runtime's MatMul streams them from memory at each step. Smaller heads stay in the graph, where they
    /// cost little (the shipped 384 × 192 head: 25% fewer tokens/s on its task in one run, two lanes each starting a
    /// parallel product for a few microseconds of work).
    /// </summary>
    public const long MinimumWeights = 1 << 22;

    /// <summary>A head of zeros, for <see cref="PackRows"/> and <see cref="SetBias"/> to fill.</summary>
    public HostHead(int vocab, int hidden)
    {
        Vocab = vocab;
        Hidden = hidden;
        _packed = new float[(long)Panels * hidden * PanelTokens];
        _bias = new float[Panels * PanelTokens];
    }

    private int Panels => (Vocab + PanelTokens - 1) / PanelTokens;

    /// <summary>b [V], or empty for none.</summary>
    public void SetBias(ReadOnlySpan<float> bias)
    {
        if (!bias.IsEmpty && bias.Length != Vocab) throw new ArgumentException($"the head's bias has {bias.Length} values, expected {Vocab}", nameof(bias));
        bias.CopyTo(_bias);
        _bias.AsSpan(bias.Length).Clear();
    }

    /// <summary>
    /// Packs rows first, first + 1, … of the stored weight: tokens of W [V, d], or k's of Wᵀ [d, V] when
    /// <paramref name="storedAsColumns"/>; so a head can be packed from its file a block at a time. Panels are k-major;
    /// the tail panel's missing tokens stay 0.
    /// </summary>
    public unsafe void PackRows(int first, ReadOnlySpan<float> rows, bool storedAsColumns)
    {
        int width = storedAsColumns ? Vocab : Hidden, count = rows.Length / width;
        if (rows.Length % width != 0 || first < 0 || first + count > (storedAsColumns ? Hidden : Vocab))
            throw new ArgumentException($"{rows.Length} values from row {first} do not fit a head of {Vocab} × {Hidden}", nameof(rows));
        if (count == 0) return;
        fixed (float* source = rows)
        {
            var (from, length) = ((nint)source, rows.Length);
            if (storedAsColumns)
                Parallel.For(0, Panels, panel => PackColumns(new ReadOnlySpan<float>((float*)from, length), first, count, panel));
            else
                Parallel.For(first / PanelTokens, (first + count - 1) / PanelTokens + 1,
                    panel => PackTokens(new ReadOnlySpan<float>((float*)from, length), first, count, panel));
        }
    }

    /// <summary>Rows k = first … first + count − 1 of Wᵀ into one panel: each a contiguous copy.</summary>
    private void PackColumns(ReadOnlySpan<float> rows, int first, int count, int panel)
    {
        int start = panel * PanelTokens, tokens = Math.Min(PanelTokens, Vocab - start);
        var packed = Panel(panel);
        for (int k = 0; k < count; k++) rows.Slice(k * Vocab + start, tokens).CopyTo(packed.Slice((first + k) * PanelTokens, tokens));
    }

    /// <summary>Tokens first … first + count − 1 of W that fall in one panel, token by token: each reads its row once, and
    /// the panel it writes across (d × 384 bytes) stays in L2.</summary>
    private void PackTokens(ReadOnlySpan<float> rows, int first, int count, int panel)
    {
        int start = panel * PanelTokens, from = Math.Max(first, start), to = Math.Min(first + count, Math.Min(Vocab, start + PanelTokens));
        var packed = Panel(panel);
        for (int token = from; token < to; token++)
        {
            var row = rows.Slice((token - first) * Hidden, Hidden);
            for (int k = 0; k < Hidden; k++) packed[k * PanelTokens + token - start] = row[k];
        }
    }

    private Span<float> Panel(int panel) => MemoryMarshal.CreateSpan(ref _packed[(long)panel * Hidden * PanelTokens], Hidden * PanelTokens);

    /// <summary>Writes logits [rows, V] for hidden states [rows, d], both row-major.</summary>
    public unsafe void Logits(ReadOnlySpan<float> hidden, Span<float> logits, int rows)
    {
        if (hidden.Length != rows * Hidden) throw new ArgumentException($"{hidden.Length} hidden values for {rows} rows of {Hidden}", nameof(hidden));
        if (logits.Length != (long)rows * Vocab) throw new ArgumentException($"{logits.Length} logits for {rows} rows of {Vocab}", nameof(logits));
        if (rows == 0) return;
        int groups = (rows + RowGroup - 1) / RowGroup;
        fixed (float* h = hidden, l = logits)
        {
            var (hAt, lAt) = ((nint)h, (nint)l);
            int work = Panels * groups;
            if ((long)rows * Hidden * Vocab < ParallelThreshold)
                for (int item = 0; item < work; item++) Block((float*)hAt, (float*)lAt, rows, item / groups, item % groups);
            else Parallel.For(0, work, item => Block((float*)hAt, (float*)lAt, rows, item / groups, item % groups));
        }
    }

    /// <summary>One panel's logits for one group of rows; rows past the last repeat it and are not written.</summary>
    private unsafe void Block(float* hidden, float* logits, int rows, int panel, int group)
    {
        int first = group * RowGroup, d = Hidden;
        float* sums = stackalloc float[RowGroup * PanelTokens];
        fixed (float* packed = &_packed[(long)panel * d * PanelTokens])
            Sums(packed, hidden + (long)first * d, hidden + (long)Math.Min(first + 1, rows - 1) * d,
                hidden + (long)Math.Min(first + 2, rows - 1) * d, hidden + (long)Math.Min(first + 3, rows - 1) * d, d, sums);
        int tokens = Math.Min(PanelTokens, Vocab - panel * PanelTokens);
        var bias = _bias.AsSpan(panel * PanelTokens, tokens);
        for (int r = 0; r < RowGroup && first + r < rows; r++)
            TensorPrimitives.Add(new ReadOnlySpan<float>(sums + r * PanelTokens, tokens), bias,
                new Span<float>(logits + (long)(first + r) * Vocab + panel * PanelTokens, tokens));
    }

    /// <summary>
    /// The four rows' sums over one panel (k-major, <see cref="PanelTokens"/> a k), written to <paramref name="sums"/>
    /// row after row. On its own, with nothing after the loop but the stores: the JIT then keeps all 24 sums in
    /// registers, where in a larger method it spilled them every iteration (~3× slower).
    /// </summary>
    private static unsafe void Sums(float* w, float* h0, float* h1, float* h2, float* h3, int d, float* sums)
    {
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default, c04 = default, c05 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default, c14 = default, c15 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default, c24 = default, c25 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default, c34 = default, c35 = default;
        for (int k = 0; k < d; k++, w += PanelTokens)
        {
            var w0 = Vector512.Load(w); var w1 = Vector512.Load(w + 16); var w2 = Vector512.Load(w + 32);
            var w3 = Vector512.Load(w + 48); var w4 = Vector512.Load(w + 64); var w5 = Vector512.Load(w + 80);
            var x = Vector512.Create(h0[k]);
            c00 = Vector512.FusedMultiplyAdd(x, w0, c00); c01 = Vector512.FusedMultiplyAdd(x, w1, c01); c02 = Vector512.FusedMultiplyAdd(x, w2, c02);
            c03 = Vector512.FusedMultiplyAdd(x, w3, c03); c04 = Vector512.FusedMultiplyAdd(x, w4, c04); c05 = Vector512.FusedMultiplyAdd(x, w5, c05);
            x = Vector512.Create(h1[k]);
            c10 = Vector512.FusedMultiplyAdd(x, w0, c10); c11 = Vector512.FusedMultiplyAdd(x, w1, c11); c12 = Vector512.FusedMultiplyAdd(x, w2, c12);
            c13 = Vector512.FusedMultiplyAdd(x, w3, c13); c14 = Vector512.FusedMultiplyAdd(x, w4, c14); c15 = Vector512.FusedMultiplyAdd(x, w5, c15);
            x = Vector512.Create(h2[k]);
            c20 = Vector512.FusedMultiplyAdd(x, w0, c20); c21 = Vector512.FusedMultiplyAdd(x, w1, c21); c22 = Vector512.FusedMultiplyAdd(x, w2, c22);
            c23 = Vector512.FusedMultiplyAdd(x, w3, c23); c24 = Vector512.FusedMultiplyAdd(x, w4, c24); c25 = Vector512.FusedMultiplyAdd(x, w5, c25);
            x = Vector512.Create(h3[k]);
            c30 = Vector512.FusedMultiplyAdd(x, w0, c30); c31 = Vector512.FusedMultiplyAdd(x, w1, c31); c32 = Vector512.FusedMultiplyAdd(x, w2, c32);
            c33 = Vector512.FusedMultiplyAdd(x, w3, c33); c34 = Vector512.FusedMultiplyAdd(x, w4, c34); c35 = Vector512.FusedMultiplyAdd(x, w5, c35);
        }
        c00.Store(sums); c01.Store(sums + 16); c02.Store(sums + 32); c03.Store(sums + 48); c04.Store(sums + 64); c05.Store(sums + 80);
        c10.Store(sums + 96); c11.Store(sums + 112); c12.Store(sums + 128); c13.Store(sums + 144); c14.Store(sums + 160); c15.Store(sums + 176);
        c20.Store(sums + 192); c21.Store(sums + 208); c22.Store(sums + 224); c23.Store(sums + 240); c24.Store(sums + 256); c25.Store(sums + 272);
        c30.Store(sums + 288); c31.Store(sums + 304); c32.Store(sums + 320); c33.Store(sums + 336); c34.Store(sums + 352); c35.Store(sums + 368);
    }
}
