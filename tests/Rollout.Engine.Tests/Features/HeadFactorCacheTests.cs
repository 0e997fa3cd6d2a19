using Rollout.Engine.Model;
using ILGPU;
using ILGPU.Runtime;
using Rollout.Engine.Features;
using Rollout.Engine.Generation;
using Rollout.Engine.Prompts;
using Rollout.Engine.Sampling;
using Rollout.Engine.Tests.Support;
using Rollout.Kernels;
using Rollout.Kernels.Runtime;
using Rollout.Kernels.Svd;
using Rollout.Models.ModelFolder;
using Rollout.Models.Onnx;
using Rollout.Models.Weights;
using Rollout.Tests;

namespace Rollout.Engine.Tests.Features;

/// <summary>
/// The head's SVD cached beside the model: every load's factors equal the randomized SVD computed directly from the
/// checkpoint's head (same backend, so bit for bit), whether they were read or computed; any change of what they
/// depend on, and any damage to the file, makes the engine compute them again and rewrite the file.
/// </summary>
[Collection(EngineModelsCollection.Name)]
public sealed class HeadFactorCacheTests(EngineModels models)
{
    private static readonly L2TOptions Options = new() { Rank = 6, SvdOversampling = 4, SvdPowerIterations = 1, SvdSeed = 5 };

    /// <summary>A fresh folder of <paramref name="arch"/>'s fixture model (Llama stores its own head as [d, V], Qwen2 ties it to the [V, d] embedding).</summary>
    private string NewFolder(string arch, ModelWeights? weights = null)
    {
        var dir = Path.Combine(RepoPaths.NewTempDir("svd-cache"), arch);
        var c = models.Weights(arch).Config;
        NewModel.Write(c.Architecture, c.Layers, c.Hidden, c.Heads, c.KvHeads, c.Intermediate, c.VocabSize, EngineModels.Seed, dir, WeightDtype.Float32, c.MaxPositions);
        if (weights != null) DecoderGraphWriter.Write(weights, Path.Combine(dir, "onnx", "model.onnx"), new DecoderExportOptions());
        return dir;
    }

    private static HeadFactors Load(string dir, L2TOptions options)
    {
        using var engine = RolloutEngine.Open(dir);
        return engine.HeadFactors(new L2TGeneration { Options = options });
    }

    /// <summary>The randomized SVD of <paramref name="head"/> (V×d) computed directly, on the engine's default backend.</summary>
    private static HeadFactors Reference(float[] head, int vocab, int width, L2TOptions options)
    {
        using var host = AcceleratorHost.Create(AcceleratorKind.Managed);
        using var buffer = host.Accelerator.Allocate1D(head);
        return RandomizedSvd.Compute(host, buffer.View, vocab, width, options.Rank, options.SvdOversampling, options.SvdPowerIterations, options.SvdSeed);
    }

    private HeadFactors Reference(string arch, L2TOptions options)
    {
        var head = models.Weights(arch).OutputHead;
        return Reference(head.Data, head.Shape[0], head.Shape[1], options);
    }

    private static void AssertSame(HeadFactors expected, HeadFactors actual)
    {
        Assert.Equal((expected.Vocab, expected.Width, expected.Rank), (actual.Vocab, actual.Width, actual.Rank));
        Assert.Equal(expected.Singular, actual.Singular);
        Assert.Equal(expected.VocabBasis, actual.VocabBasis);
        Assert.Equal(expected.HiddenBasis, actual.HiddenBasis);
    }

    [Theory]
    [InlineData("qwen2")]
    [InlineData("llama")]
    public void The_second_load_reads_the_file_and_has_the_factors_and_features_of_the_first(string arch)
    {
        var dir = NewFolder(arch);
        var reference = Reference(arch, Options);
        var path = HeadFactorCache.PathIn(dir);

        var (computed, first) = FactorsAndFeatures(dir);
        AssertSame(reference, computed);
        var earlier = File.GetLastWriteTimeUtc(path) - TimeSpan.FromDays(1);
        File.SetLastWriteTimeUtc(path, earlier);

        var (read, second) = FactorsAndFeatures(dir);
        AssertSame(reference, read);
        Assert.Equal(earlier, File.GetLastWriteTimeUtc(path)); // read, not rewritten
        Assert.Equal(first.Length, second.Length);
        foreach (var (a, b) in first.Zip(second))
        {
            Assert.Equal(a.TokenIds, b.TokenIds);
            Assert.Equal(a.Features!.U, b.Features!.U);
            Assert.Equal(a.Features.V, b.Features.V);
        }
    }

    /// <summary>The session hashes the head while it loads the graph, so cached factors are found without reading the head again: the hash must be the cache key of the head read from the file.</summary>
    [Theory]
    [InlineData("qwen2")]
    [InlineData("llama")]
    public void The_head_hashed_at_load_is_the_cache_key_of_the_head_read_from_the_file(string arch)
    {
        var dir = NewFolder(arch);
        var config = models.Weights(arch).Config;
        var onnx = Path.Combine(dir, "onnx", "model.onnx");
        using var session = DecoderSession.Load(onnx, config);
        var head = HeadWeights.Read(onnx, config.VocabSize, config.Hidden);
        Assert.NotNull(session.Head.StoredHash);
        Assert.Equal(HeadFactorCache.Key.Of(head, 1, 0, 0, 0).HeadHash, session.Head.StoredHash);
    }

    /// <summary>Factors planted in the file under the right key are the ones the engine uses: it reads them rather than recomputing.</summary>
    [Fact]
    public void Factors_in_a_valid_file_are_used_as_they_are()
    {
        var dir = NewFolder("qwen2");
        Load(dir, Options);
        var head = HeadWeights.Read(Path.Combine(dir, "onnx", "model.onnx"), models.Weights("qwen2").Config.VocabSize, models.Weights("qwen2").Config.Hidden);
        var key = HeadFactorCache.Key.Of(head, Options.Rank, Options.SvdOversampling, Options.SvdPowerIterations, Options.SvdSeed);
        var reference = Reference("qwen2", Options);
        var planted = reference with { Singular = reference.Singular.Select(s => s + 1).ToArray() };
        HeadFactorCache.TryWrite(dir, key, planted);

        Assert.Equal(planted.Singular, Load(dir, Options).Singular);
    }

    public static readonly TheoryData<string> Changes = ["rank", "oversampling", "power iterations", "seed"];

    [Theory]
    [MemberData(nameof(Changes))]
    public void Another_svd_parameter_misses_the_file_and_replaces_it(string change)
    {
        var dir = NewFolder("qwen2");
        Load(dir, Options);
        var changed = change switch
        {
            "rank" => Options with { Rank = 5 },
            "oversampling" => Options with { SvdOversampling = 3 },
            "power iterations" => Options with { SvdPowerIterations = 2 },
            _ => Options with { SvdSeed = 6 },
        };

        AssertSame(Reference("qwen2", changed), Load(dir, changed));
        AssertSame(Reference("qwen2", changed), Load(dir, changed)); // now from the file written for them
    }

    [Fact]
    public void One_changed_weight_of_the_head_misses_the_file_and_replaces_it()
    {
        var weights = models.Weights("llama");
        var dir = NewFolder("llama");
        Load(dir, Options);
        var head = (float[])weights.OutputHead.Data.Clone();
        head[37] += 0.25f;
        DecoderGraphWriter.Write(weights.WithOutputHead(head), Path.Combine(dir, "onnx", "model.onnx"), new DecoderExportOptions());

        var expected = Reference(head, weights.Config.VocabSize, weights.Config.Hidden, Options);
        AssertSame(expected, Load(dir, Options));
        AssertSame(expected, Load(dir, Options));
    }

    public static readonly TheoryData<string> Damages = ["truncated", "longer", "header byte", "factor byte", "empty"];

    [Theory]
    [MemberData(nameof(Damages))]
    public void A_damaged_file_is_ignored_and_rewritten(string damage)
    {
        var dir = NewFolder("qwen2");
        var reference = Reference("qwen2", Options);
        Load(dir, Options);
        var path = HeadFactorCache.PathIn(dir);
        var bytes = File.ReadAllBytes(path);
        var length = bytes.Length;
        switch (damage)
        {
            case "truncated": bytes = bytes[..^7]; break;
            case "longer": bytes = [.. bytes, 0]; break;
            case "header byte": bytes[5] ^= 1; break; // the format version
            case "factor byte": bytes[^100] ^= 0x40; break;
            default: bytes = []; break;
        }
        File.WriteAllBytes(path, bytes);

        AssertSame(reference, Load(dir, Options));
        Assert.Equal(length, new FileInfo(path).Length);
        AssertSame(reference, Load(dir, Options));
    }

    /// <summary>
    /// The cache folder cannot be created (a file has its name; tests run as root, which file modes do not stop): the
    /// engine computes the factors all the same, and leaves the file alone.
    /// </summary>
    [Fact]
    public void A_folder_the_cache_cannot_be_written_to_still_loads()
    {
        var dir = NewFolder("qwen2");
        File.WriteAllText(Path.Combine(dir, HeadFactorCache.FolderName), "not a folder");

        AssertSame(Reference("qwen2", Options), Load(dir, Options));
        AssertSame(Reference("qwen2", Options), Load(dir, Options));
        Assert.Equal("not a folder", File.ReadAllText(Path.Combine(dir, HeadFactorCache.FolderName)));
    }

    /// <summary>The factors one engine loads, and the rollouts (with step features) it then samples.</summary>
    private static (HeadFactors Factors, RolloutResult[] Rollouts) FactorsAndFeatures(string dir)
    {
        using var engine = RolloutEngine.Open(dir);
        var l2t = new L2TGeneration { Options = Options };
        var factors = engine.HeadFactors(l2t);
        var prompts = engine.Encode([new Prompt("p", "Compute 12 + 7.", null, "19", null)]);
        var options = new GenerationOptions
        {
            SamplesPerPrompt = 2, MaxNewTokens = 6, Seed = 3,
            Sampling = new SamplingParams { Temperature = 0.8 },
            L2T = l2t,
        };
        return (factors, engine.Generate(prompts, options).ToArray());
    }
}
