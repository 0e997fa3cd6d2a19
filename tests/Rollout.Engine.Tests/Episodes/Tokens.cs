using Rollout.Engine.Episodes;

namespace Rollout.Engine.Tests.Episodes;

/// <summary>A completion given as its tokens' texts: the decoded text and the char offsets a tokenizer would report.</summary>
internal sealed record Tokens(string Text, int[] Starts, int[] Ends)
{
    public static Tokens Of(params string[] pieces)
    {
        var starts = new int[pieces.Length];
        var ends = new int[pieces.Length];
        var at = 0;
        for (var i = 0; i < pieces.Length; i++)
        {
            starts[i] = at;
            at += pieces[i].Length;
            ends[i] = at;
        }
        return new Tokens(string.Concat(pieces), starts, ends);
    }

    public Segmentation Segment(string spec) => EpisodeSegmenter.Segment(EpisodeSpec.Parse(spec), Text, Starts, Ends);
}
