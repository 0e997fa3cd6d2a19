using Microsoft.ML.OnnxRuntime;
using Rollout.Interop.Buffers;
using Rollout.Interop.Tests.Support;
using Rollout.Kernels.Runtime;

namespace Rollout.Interop.Tests.Buffers;

public sealed class StepOutputBuffersTests(Hosts hosts)
{
    private const int MaxRows = 4, MaxPositions = 3, Vocab = 7, Hidden = 5;

    [Theory]
    [MemberData(nameof(Hosts.Kinds), MemberType = typeof(Hosts))]
    public void Every_step_shape_gets_tensors_and_views_over_the_start_of_the_same_buffers(AcceleratorKind kind)
    {
        using var buffers = hosts.Buffers(kind, MaxRows, MaxPositions, Vocab, Hidden);
        var logitsStart = buffers.LogitsPointer;
        var hiddenStart = buffers.HiddenStatesPointer;
        var device = kind == AcceleratorKind.Cuda ? OrtMemoryInfoDeviceType.GPU : OrtMemoryInfoDeviceType.CPU;

        foreach (var (rows, positions) in new[] { (4, 3), (1, 1), (3, 1), (2, 3) })
        {
            var targets = buffers.Targets(rows, positions);
            Assert.Same(targets, buffers.Targets(rows, positions));
            Assert.Equal([rows, positions, Vocab], targets.Logits.GetTensorTypeAndShape().Shape);
            Assert.Equal([rows, positions, Hidden], targets.HiddenStates!.GetTensorTypeAndShape().Shape);
            Assert.Equal(device, targets.Logits.GetTensorMemoryInfo().GetDeviceType());
            Assert.Equal(logitsStart, Pointers.Of(targets.Logits));
            Assert.Equal(hiddenStart, Pointers.Of(targets.HiddenStates));

            var logits = buffers.Logits(rows, positions);
            var hidden = buffers.HiddenStates(rows, positions);
            Assert.Equal(rows * positions * Vocab, logits.Length);
            Assert.Equal(rows * positions * Hidden, hidden.Length);
            Assert.Equal(logitsStart, logits.LoadEffectiveAddressAsPtr());
            Assert.Equal(hiddenStart, hidden.LoadEffectiveAddressAsPtr());
        }
        Assert.Equal(logitsStart, buffers.LogitsPointer);
        Assert.Equal(hiddenStart, buffers.HiddenStatesPointer);
    }

    [Theory]
    [MemberData(nameof(Hosts.Kinds), MemberType = typeof(Hosts))]
    public void The_copy_path_fills_exactly_the_steps_prefix(AcceleratorKind kind)
    {
        using var buffers = hosts.Buffers(kind, MaxRows, MaxPositions, Vocab, Hidden);
        const float untouched = -7.5f;
        buffers.CopyLogits(Enumerable.Repeat(untouched, MaxRows * MaxPositions * Vocab).ToArray(), MaxRows, MaxPositions);
        buffers.CopyHiddenStates(Enumerable.Repeat(untouched, MaxRows * MaxPositions * Hidden).ToArray(), MaxRows, MaxPositions);

        var logits = Enumerable.Range(0, 2 * 3 * Vocab).Select(i => i * 0.25f).ToArray();
        var hidden = Enumerable.Range(0, 2 * 3 * Hidden).Select(i => -i * 0.5f).ToArray();
        buffers.CopyLogits(logits, 2, 3);
        buffers.CopyHiddenStates(hidden, 2, 3);

        var allLogits = buffers.Logits(MaxRows, MaxPositions).Read();
        var allHidden = buffers.HiddenStates(MaxRows, MaxPositions).Read();
        Assert.Equal(logits, allLogits[..logits.Length]);
        Assert.Equal(hidden, allHidden[..hidden.Length]);
        Assert.All(allLogits[logits.Length..], x => Assert.Equal(untouched, x));
        Assert.All(allHidden[hidden.Length..], x => Assert.Equal(untouched, x));
    }

    [Fact]
    public void On_the_cpu_accelerator_host_spans_are_the_same_memory_as_the_views()
    {
        using var buffers = hosts.Buffers(AcceleratorKind.Cpu, MaxRows, MaxPositions, Vocab, Hidden);
        var span = buffers.HostLogits(2, 1);
        Assert.Equal(buffers.LogitsPointer, Pointers.Of(span));
        Assert.Equal(2 * Vocab, span.Length);
        for (int i = 0; i < span.Length; i++) span[i] = i + 1;
        Assert.Equal(Enumerable.Range(1, 2 * Vocab).Select(i => (float)i), buffers.Logits(2, 1).Read());
        Assert.Equal(buffers.HiddenStatesPointer, Pointers.Of(buffers.HostHiddenStates(1, 1)));
    }

    [Theory]
    [MemberData(nameof(Hosts.Kinds), MemberType = typeof(Hosts))]
    public void A_step_larger_than_the_buffers_is_refused_with_both_sizes_named(AcceleratorKind kind)
    {
        using var buffers = hosts.Buffers(kind, MaxRows, MaxPositions, Vocab, Hidden);
        var tooManyRows = Assert.Throws<ArgumentOutOfRangeException>(() => buffers.Targets(MaxRows + 1, 1));
        Assert.Equal("rows", tooManyRows.ParamName);
        Assert.Contains("5 rows × 1 positions does not fit buffers allocated for 4 × 3", tooManyRows.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => buffers.Logits(1, MaxPositions + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => buffers.HiddenStates(MaxRows + 1, MaxPositions));
        Assert.Throws<ArgumentOutOfRangeException>(() => buffers.CopyLogits(new float[5 * Vocab], 5, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => buffers.Targets(0, 1));
    }

    [Theory]
    [MemberData(nameof(Hosts.Kinds), MemberType = typeof(Hosts))]
    public void A_copy_of_the_wrong_length_is_refused(AcceleratorKind kind)
    {
        using var buffers = hosts.Buffers(kind, MaxRows, MaxPositions, Vocab, Hidden);
        var e = Assert.Throws<ArgumentException>(() => buffers.CopyLogits(new float[Vocab], 2, 1));
        Assert.Contains($"has {Vocab} values, the step needs {2 * Vocab}", e.Message);
    }

    [Fact]
    public void Buffers_on_the_cpu_accelerator_take_no_cuda_memory_info()
    {
        using var cudaMemory = new OrtMemoryInfo("Cuda", OrtAllocatorType.DeviceAllocator, 0, OrtMemType.Default);
        Assert.Throws<ArgumentException>(() =>
            new StepOutputBuffers(hosts.Get(AcceleratorKind.Cpu), MaxRows, MaxPositions, Vocab, Hidden, cudaMemory));
    }
}
