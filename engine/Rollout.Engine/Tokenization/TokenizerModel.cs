namespace Rollout.Engine.Tokenization;

/// <summary>Turns one piece of normalized text that holds no added token into ids.</summary>
internal interface ISegmentEncoder
{
    void Encode(string segment, List<int> ids);
}

/// <summary>Byte-level BPE: pre-tokenize into byte-level spelled words, then BPE each word.</summary>
internal sealed class ByteLevelBpeEncoder(PreTokenizer preTokenizer, BytePairModel model) : ISegmentEncoder
{
    public void Encode(string segment, List<int> ids)
    {
        foreach (var word in preTokenizer.Split(segment)) model.Encode(word, ids);
    }
}

/// <summary>
/// What one tokenizer file format yields: the encoder and its vocabulary, the added tokens and
/// post-processor the file itself defines, and how a token's text turns back into bytes.
/// </summary>
/// <param name="Template">the file's post-processor, or null where add_bos_token/add_eos_token decide (default <paramref name="AddBosByDefault"/>).</param>
/// <param name="StripLeadingSpace">SentencePiece: decoding drops the space its dummy prefix put before the text.</param>
internal sealed record TokenizerModel(
    ISegmentEncoder Encoder,
    TextNormalizer Normalizer,
    IReadOnlyDictionary<string, int> Vocab,
    IReadOnlyList<AddedToken> AddedTokens,
    SpecialTokenTemplate? Template,
    bool AddBosByDefault,
    Func<string, byte[]> TokenBytes,
    bool StripLeadingSpace = false);
