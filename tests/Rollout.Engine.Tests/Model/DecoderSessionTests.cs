using Rollout.Engine.Model;
using Rollout.Engine.Tests.Support;
using Rollout.Models.Reference;

namespace Rollout.Engine.Tests.Model;

[Collection(EngineModelsCollection.Name)]
public sealed class DecoderSessionTests(EngineModels models)
{
    [Theory]
    [MemberData(nameof(EngineModels.Names), MemberType = typeof(EngineModels))]
    public void The_head_input_is_exposed_as_hidden_states_equal_to_the_reference(string arch)
    {
        var folder = ModelFolder.Open(models.Dir(arch));
        using var session = folder.OpenSession();
        int[] tokens = [5, 17, 200, 33, 9];
        var reference = ReferenceForward.Run(models.Weights(arch), tokens);

        using var empty = KvCache.Empty(session.Signature, 1);
        using var step = session.Run(tokens.Select(t => (long)t).ToArray(), tokens.Select(_ => 1L).ToArray(),
            Enumerable.Range(0, tokens.Length).Select(i => (long)i).ToArray(), tokens.Length, empty, withHiddenStates: true);
        using var present = step.Present;

        Assert.Equal(folder.Config.Hidden, step.HiddenSize);
        for (int t = 0; t < tokens.Length; t++)
        {
            var hidden = step.HiddenStates(0, t).ToArray().Select(x => (double)x).ToArray();
            double err = Math.Sqrt(hidden.Zip(reference.Hidden[t]).Sum(p => (p.First - p.Second) * (p.First - p.Second)));
            double norm = Math.Sqrt(reference.Hidden[t].Sum(x => x * x));
            Assert.True(err / norm < 1e-4, $"position {t}: relative error {err / norm}");
        }
    }

    [Theory]
    [MemberData(nameof(EngineModels.Names), MemberType = typeof(EngineModels))]
    public void The_head_computed_on_the_host_gives_the_graphs_logits(string arch)
    {
        var folder = ModelFolder.Open(models.Dir(arch));
        using var onHost = DecoderSession.Load(folder.OnnxPath, folder.Config, headOnHost: true);
        using var inGraph = DecoderSession.Load(folder.OnnxPath, folder.Config, headOnHost: false);
        using var byDefault = folder.OpenSession();
        // Every family this project writes has a plain MatMul head; asked to, it leaves the graph wherever AVX-512 runs
        // the product. These heads are small, which by default stay.
        Assert.Equal(HostHead.Supported, onHost.Head.Detached);
        Assert.False(inGraph.Head.Detached);
        Assert.True(folder.Config.VocabSize * (long)folder.Config.Hidden < HostHead.MinimumWeights);
        Assert.False(byDefault.Head.Detached);
        Assert.Equal(inGraph.VocabSize, onHost.VocabSize);
        int[] tokens = [5, 17, 200, 33, 9];

        var expected = SessionPrefill.Logits(inGraph, tokens);
        var actual = SessionPrefill.Logits(onHost, tokens);
        Assert.Equal(expected.Length, actual.Length);
        Assert.Equal(tokens.Length * inGraph.VocabSize, actual.Length);
        // Both are float32 sums of the same d products, in different orders.
        double scale = expected.Max(Math.Abs);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5 * scale, $"logit {i}: {actual[i]:R} vs {expected[i]:R}");
    }

    [Theory]
    [MemberData(nameof(EngineModels.Names), MemberType = typeof(EngineModels))]
    public void A_chunk_of_several_tokens_after_a_cached_prefix_equals_the_reference(string arch)
    {
        var folder = ModelFolder.Open(models.Dir(arch));
        using var session = folder.OpenSession();
        int[] tokens = [5, 17, 200, 33, 9, 41, 7];
        var reference = ReferenceForward.Run(models.Weights(arch), tokens);
        long[] Ids(int from, int to) => tokens[from..to].Select(t => (long)t).ToArray();
        long[] Range(int from, int to) => Enumerable.Range(from, to - from).Select(i => (long)i).ToArray();

        using var empty = KvCache.Empty(session.Signature, 1);
        using var first = session.Run(Ids(0, 4), Enumerable.Repeat(1L, 4).ToArray(), Range(0, 4), 4, empty, withHiddenStates: false);
        using var cache = first.Present!;
        using var second = session.Run(Ids(4, 7), Enumerable.Repeat(1L, 7).ToArray(), Range(4, 7), 3, cache, withHiddenStates: false);
        using var present = second.Present;
        for (int t = 0; t < 3; t++)
        {
            var logits = second.Logits(0, t).ToArray();
            double err = Math.Sqrt(logits.Zip(reference.Logits[4 + t]).Sum(p => (p.First - p.Second) * (p.First - p.Second)));
            double norm = Math.Sqrt(reference.Logits[4 + t].Sum(x => x * x));
            Assert.True(err / norm < 1e-4, $"chunk position {t}: relative error {err / norm}");
        }
    }

    [Theory]
    [MemberData(nameof(EngineModels.Names), MemberType = typeof(EngineModels))]
    public void A_run_computes_logits_and_hidden_states_only_at_the_positions_asked_for(string arch)
    {
        var folder = ModelFolder.Open(models.Dir(arch));
        using var session = folder.OpenSession();
        Assert.True(session.Head.SelectsPositions);
        int[] tokens = [5, 17, 200, 33, 9];
        var reference = ReferenceForward.Run(models.Weights(arch), tokens);

        using var empty = KvCache.Empty(session.Signature, 1);
        using var step = session.Run(tokens.Select(t => (long)t).ToArray(), tokens.Select(_ => 1L).ToArray(),
            Enumerable.Range(0, tokens.Length).Select(i => (long)i).ToArray(), tokens.Length, empty, withHiddenStates: true,
            outputPositions: [1, 4]);
        using var present = step.Present!;

        // Two positions computed, not five; each equal to the reference at the position asked for.
        Assert.Equal(2 * session.VocabSize, step.AllLogits.Length);
        Assert.Equal(2 * folder.Config.Hidden, step.AllHiddenStates.Length);
        Assert.Equal(tokens.Length, present.Length);
        foreach (var (k, position) in new[] { (0, 1), (1, 4) })
        {
            Assert.True(RelativeError(step.Logits(0, k), reference.Logits[position]) < 1e-4, $"logits at {position}");
            Assert.True(RelativeError(step.HiddenStates(0, k), reference.Hidden[position]) < 1e-4, $"hidden states at {position}");
        }
    }

    [Fact]
    public void A_head_behind_a_reshape_keeps_every_position()
    {
        var graph = new Onnx.GraphProto();
        graph.Initializer.Add(new Onnx.TensorProto { Name = "W", DataType = (int)Onnx.TensorProto.Types.DataType.Float });
        graph.Node.Add(Node("MatMul", ["h2d", "W"], "flat"));
        graph.Node.Add(Node("Reshape", ["flat", "shape"], "logits"));
        var head = OutputHead.Find(graph);
        Assert.Same(head, head.SelectPositions(graph));
        Assert.DoesNotContain(graph.Input, i => i.Name == OutputHead.PositionsInput);
    }

    private static Onnx.NodeProto Node(string op, string[] inputs, string output)
    {
        var node = new Onnx.NodeProto { OpType = op, Name = output };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        return node;
    }

    private static double RelativeError(ReadOnlySpan<float> actual, double[] expected)
    {
        double err = 0, norm = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            err += (actual[i] - expected[i]) * (actual[i] - expected[i]);
            norm += expected[i] * expected[i];
        }
        return Math.Sqrt(err / norm);
    }

    [Fact]
    public void Signature_is_read_from_the_graph()
    {
        var folder = ModelFolder.Open(models.Dir("qwen2"));
        using var session = folder.OpenSession();
        Assert.Equal(2, session.Signature.Layers);
        Assert.Equal(2, session.Signature.KvHeads);
        Assert.Equal(8, session.Signature.HeadDim);
        Assert.True(session.Signature.HasPositionIds);
        Assert.Equal(400, session.VocabSize);
    }
}
