using Rollout.Engine.Model;
using Rollout.Models.ModelFolder;
using Rollout.Models.Onnx;
using Rollout.Models.Weights;
using Rollout.Tests;

namespace Rollout.Interop.Tests.Support;

/// <summary>
/// A tiny float32 Llama written once for the test assembly, with its session on the CPU provider and the same
/// seeded weights in memory for the float64 reference.
/// </summary>
public sealed class TinyModel : IDisposable
{
    private const int Seed = 1;
    private readonly string _dir = RepoPaths.NewTempDir("interop-model");

    public TinyModel()
    {
        var config = NewModel.Write(Architecture.Llama, layers: 2, hidden: 32, heads: 4, kvHeads: 2, intermediate: 64,
            vocab: 400, Seed, _dir, WeightDtype.Float32, maxPositions: 128);
        Weights = RandomWeights.Create(config, Seed);
        Folder = ModelFolder.Open(_dir);
        Session = Folder.OpenSession();
    }

    public ModelFolder Folder { get; }
    internal DecoderSession Session { get; }
    public ModelWeights Weights { get; }

    public void Dispose()
    {
        Session.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class TinyModelCollection : ICollectionFixture<TinyModel>
{
    public const string Name = "tiny model";
}
