using Rollout.Engine.Model;
using Rollout.Models.ModelFolder;
using Rollout.Models.Onnx;
using Rollout.Tests;

namespace Rollout.Engine.Tests.Model;

/// <summary>Changes the process's temp folder for a moment, so it runs alone (no other test may make temp files meanwhile).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessEnvironmentCollection
{
    public const string Name = "process environment";
}

/// <summary>
/// A graph with its weights inside is edited and handed to ONNX Runtime through a temporary file (no second copy of
/// the weights in memory); without a writable temp folder it goes from memory instead, and either way nothing stays behind.
/// </summary>
[Collection(ProcessEnvironmentCollection.Name)]
public sealed class ModelLoadingTests
{
    private readonly string _model = Path.Combine(RepoPaths.NewTempDir("loading"), "llama");

    public ModelLoadingTests() =>
        NewModel.Write(Architecture.Llama, layers: 1, hidden: 16, heads: 2, kvHeads: 1, intermediate: 32, vocab: 300, seed: 3, _model,
            WeightDtype.Float32, maxPositions: 64);

    [Fact]
    public void The_edited_graph_goes_through_a_temp_file_that_is_removed_once_loaded()
    {
        var temp = RepoPaths.NewTempDir("tmpdir");
        var logits = WithTempFolder(temp, () => Logits(_model));
        Assert.Empty(Directory.EnumerateFileSystemEntries(temp));
        Assert.Equal(logits, Logits(_model));
    }

    [Fact]
    public void Without_a_writable_temp_folder_the_graph_is_loaded_from_memory()
    {
        // A "folder" under a file cannot be created, even by root.
        var file = Path.Combine(RepoPaths.NewTempDir("not-a-folder"), "file");
        File.WriteAllText(file, "");
        var logits = WithTempFolder(Path.Combine(file, "tmp"), () => Logits(_model));
        Assert.Equal(Logits(_model), logits);
    }

    private static float[] Logits(string dir)
    {
        using var session = ModelFolder.Open(dir).OpenSession();
        using var empty = KvCache.Empty(session.Signature, 1);
        using var step = session.Run([5, 17, 9], [1, 1, 1], [0, 1, 2], 3, empty, withHiddenStates: false);
        using var present = step.Present;
        return step.AllLogits.ToArray();
    }

    private static T WithTempFolder<T>(string folder, Func<T> run)
    {
        var saved = Environment.GetEnvironmentVariable("TMPDIR");
        Environment.SetEnvironmentVariable("TMPDIR", folder);
        try { return run(); }
        finally { Environment.SetEnvironmentVariable("TMPDIR", saved); }
    }
}
