using Rollout.Models.Tokenizer;

namespace Rollout.Engine.Tests.Tokenization;

/// <summary>The folder WriteTrained writes for vocab 512, the one Fixtures/trained-512.json was recorded from; written once per run.</summary>
internal static class TrainedTokenizerFolder
{
    public const int VocabSize = 512;

    private static readonly Lazy<string> Folder = new(() =>
    {
        var dir = Rollout.Tests.RepoPaths.NewTempDir("trained-tokenizer");
        TokenizerFilesWriter.WriteTrained(dir, VocabSize);
        return dir;
    });

    public static string Path => Folder.Value;

    /// <summary>A copy of the trained folder without some of its files, to load it through another format.</summary>
    public static string CopyWithout(params string[] leftOut)
    {
        var dir = Rollout.Tests.RepoPaths.NewTempDir("trained-tokenizer-copy");
        foreach (var file in Directory.EnumerateFiles(Path).Where(f => !leftOut.Contains(System.IO.Path.GetFileName(f))))
            File.Copy(file, System.IO.Path.Combine(dir, System.IO.Path.GetFileName(file)));
        return dir;
    }
}
