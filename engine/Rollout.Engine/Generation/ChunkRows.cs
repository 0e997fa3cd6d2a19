using Rollout.Engine.Sampling;
using Rollout.Engine.Tokenization;

namespace Rollout.Engine.Generation;

/// <summary>The rows of sample chunks prefilled together: each chunk's samples, in chunk then sample order.</summary>
internal static class ChunkRows
{
    /// <param name="promptMask">The mask of chunk p's prompt as the cache holds it (see <see cref="SequenceState.PromptMask"/>).</param>
    /// <param name="prompt">Which chunk (prefill row) each new row came from.</param>
    public static List<SequenceState> Create(IReadOnlyList<GenerationRequest> requests, IReadOnlyList<SampleChunk> chunks, L2TRuntime? l2t,
        TextTokenizer tokenizer, IReadOnlySet<int> eosTokenIds, Func<int, long[]> promptMask, out List<int> prompt)
    {
        var rows = new List<SequenceState>(chunks.Sum(c => c.Count));
        prompt = new List<int>(rows.Capacity);
        for (int p = 0; p < chunks.Count; p++)
        {
            var (request, first, count) = chunks[p];
            var encoded = requests[request].Prompt;
            var probe = l2t != null && encoded.Answer is { } answer ? l2t.Tokenize(tokenizer, answer) : null;
            var mask = promptMask(p);
            for (int s = first; s < first + count; s++)
            {
                rows.Add(new SequenceState(encoded, s, mask, requests[request].Options, probe, request)
                    { History = TokenHistory.For(encoded.TokenIds, requests[request].Options, eosTokenIds) });
                prompt.Add(p);
            }
        }
        return rows;
    }
}
