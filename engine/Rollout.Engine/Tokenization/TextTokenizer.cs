using System.Text;

namespace Rollout.Engine.Tokenization;

/// <summary>
/// The tokenizer of a Hugging Face model folder, behaving as HF transformers' tokenizer for it:
/// added tokens are cut out first (raw-text ones, then normalized-text ones), the rest goes through
/// the model's normalizer, pre-tokenizer and BPE, and the post-processor adds special tokens.
/// Thread-safe once loaded.
/// </summary>
public sealed class TextTokenizer
{
    private static readonly HashSet<string> LlamaClasses =
        ["LlamaTokenizer", "LlamaTokenizerFast", "CodeLlamaTokenizer", "CodeLlamaTokenizerFast", "GemmaTokenizer", "GemmaTokenizerFast"];

    private readonly TokenizerModel model;
    private readonly AddedTokenMatcher rawMatcher;
    private readonly AddedTokenMatcher normalizedMatcher;
    private readonly SpecialTokenTemplate template;
    private readonly Dictionary<string, int> tokenToId;
    private readonly string?[] idToToken;
    private readonly byte[][] tokenBytes;

    public int VocabSize => idToToken.Length;
    public IReadOnlySet<int> SpecialTokenIds { get; }
    public string? BosToken { get; }
    public string? EosToken { get; }
    public int? BosTokenId { get; }
    public int? EosTokenId { get; }
    public int? PadTokenId { get; }
    public string? ChatTemplate { get; }
    /// <summary>tokenizer_config's model_max_length; null when absent or HF's "no limit" sentinel.</summary>
    public int? ModelMaxLength { get; }

    /// <summary>
    /// Loads the tokenizer in <paramref name="modelDir"/>: tokenizer.json (byte-level BPE), else
    /// vocab.json + merges.txt, else a tiktoken file (*.tiktoken, or a tiktoken-format tokenizer.model),
    /// else a SentencePiece tokenizer.model; tokenizer_config.json supplies special tokens and templates.
    /// </summary>
    public static TextTokenizer Load(string modelDir)
    {
        if (!Directory.Exists(modelDir)) throw new InputException($"{modelDir}: tokenizer folder does not exist");
        var config = TokenizerConfig.Read(modelDir);
        return new TextTokenizer(LoadModel(modelDir, config), config);
    }

    private static TokenizerModel LoadModel(string dir, TokenizerConfig config)
    {
        var tokenizerJson = Path.Combine(dir, "tokenizer.json");
        var spModel = Path.Combine(dir, "tokenizer.model");
        var hasSpModel = File.Exists(spModel) && !TiktokenFile.LooksLikeTiktoken(spModel);
        if (File.Exists(tokenizerJson))
        {
            if (HfTokenizerJson.TryLoad(tokenizerJson) is { } fromJson) return fromJson;
            if (!hasSpModel) throw new InputException($"{tokenizerJson}: only byte-level BPE tokenizer.json is supported, and no tokenizer.model is beside it");
        }
        var vocab = Path.Combine(dir, "vocab.json");
        var merges = Path.Combine(dir, "merges.txt");
        if (File.Exists(vocab) && File.Exists(merges)) return GptVocabFiles.Load(vocab, merges, config);
        var tiktoken = Directory.EnumerateFiles(dir, "*.tiktoken").Order(StringComparer.Ordinal).FirstOrDefault()
            ?? (File.Exists(spModel) && !hasSpModel ? spModel : null);
        if (tiktoken != null) return TiktokenFile.Load(tiktoken);
        if (hasSpModel) return SentencePieceFile.Load(spModel);
        throw new InputException($"{dir}: no tokenizer files (tokenizer.json, vocab.json + merges.txt, *.tiktoken or tokenizer.model)");
    }

    private TextTokenizer(TokenizerModel model, TokenizerConfig config)
    {
        this.model = model;
        tokenToId = new Dictionary<string, int>(model.Vocab, StringComparer.Ordinal);

        // HF registers added tokens from the tokenizer file, then tokenizer_config's, then the named special
        // tokens; a token already known keeps its id, an unknown one gets the next free id.
        var added = new Dictionary<string, AddedToken>(StringComparer.Ordinal);
        var nextId = Math.Max(model.Vocab.Count == 0 ? 0 : model.Vocab.Values.Max() + 1,
            model.AddedTokens.Concat(config.AddedTokens).Select(t => t.Id + 1).DefaultIfEmpty(0).Max());
        foreach (var token in model.AddedTokens.Concat(config.AddedTokens)) added.TryAdd(token.Content, token);
        var named = new[] { config.BosToken, config.EosToken, config.UnkToken, config.PadToken }.Concat(config.AdditionalSpecialTokens).OfType<string>().ToList();
        foreach (var content in named.Where(c => !added.ContainsKey(c)))
            added[content] = new AddedToken(tokenToId.TryGetValue(content, out var id) ? id : nextId++, content, Special: true);
        foreach (var token in added.Values) tokenToId[token.Content] = token.Id;

        idToToken = new string?[tokenToId.Values.DefaultIfEmpty(-1).Max() + 1];
        foreach (var (token, id) in model.Vocab) idToToken[id] = token;
        foreach (var token in added.Values) idToToken[token.Id] = token.Content;
        tokenBytes = [.. idToToken.Select(t => t == null ? [] : model.TokenBytes(t))];

        rawMatcher = new AddedTokenMatcher(added.Values.Where(t => !t.Normalized));
        // Like HF, normalized tokens are matched in their normalized spelling against the normalized text.
        normalizedMatcher = new AddedTokenMatcher(added.Values.Where(t => t.Normalized)
            .Select(t => t with { Content = model.Normalizer.Normalize(t.Content) }));

        BosToken = config.BosToken;
        EosToken = config.EosToken;
        BosTokenId = TokenToId(config.BosToken);
        EosTokenId = TokenToId(config.EosToken);
        PadTokenId = TokenToId(config.PadToken);
        SpecialTokenIds = added.Values.Where(t => t.Special).Select(t => t.Id)
            .Concat(named.Select(n => tokenToId[n])).ToHashSet();
        ChatTemplate = config.ChatTemplate;
        ModelMaxLength = config.ModelMaxLength;

        var flagsDecide = model.Template == null || config.TokenizerClass is { } c && LlamaClasses.Contains(c);
        template = flagsDecide
            ? SpecialTokenTemplate.FromFlags(config.AddBosToken ?? model.AddBosByDefault, BosTokenId, config.AddEosToken ?? false, EosTokenId)
            : model.Template!;
    }

    public int? TokenToId(string? token) => token != null && tokenToId.TryGetValue(token, out var id) ? id : null;

    public string? IdToToken(int id) => id >= 0 && id < idToToken.Length ? idToToken[id] : null;

    public IReadOnlyList<int> Encode(string text, bool addSpecialTokens = true)
    {
        var ids = new List<int>();
        if (addSpecialTokens) ids.AddRange(template.Prefix);
        foreach (var (raw, rawId) in rawMatcher.Split(text))
        {
            if (rawId is { } r) { ids.Add(r); continue; }
            foreach (var (piece, pieceId) in normalizedMatcher.Split(model.Normalizer.Normalize(raw)))
                if (pieceId is { } p) ids.Add(p);
                else model.Encoder.Encode(piece, ids);
        }
        if (addSpecialTokens) ids.AddRange(template.Suffix);
        return ids;
    }

    /// <summary>
    /// The text of <paramref name="ids"/> as HF decodes it with clean_up_tokenization_spaces off (that
    /// cosmetic pass is lossy, so it is never applied). Ids outside the vocabulary decode to nothing, as in HF.
    /// </summary>
    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false)
    {
        if (!skipSpecialTokens) return DecodeWithOffsets(ids).Text;
        var kept = new List<int>(ids.Length);
        foreach (var id in ids)
            if (!SpecialTokenIds.Contains(id)) kept.Add(id);
        return DecodeWithOffsets(kept.ToArray()).Text;
    }

    /// <summary>Decodes <paramref name="ids"/> and says which chars of the text each token produced (see <see cref="DecodedText"/>).</summary>
    public DecodedText DecodeWithOffsets(ReadOnlySpan<int> ids)
    {
        var bytes = new List<byte>();
        var byteEnds = new int[ids.Length];
        for (var i = 0; i < ids.Length; i++)
        {
            if (ids[i] >= 0 && ids[i] < tokenBytes.Length) bytes.AddRange(tokenBytes[ids[i]]);
            byteEnds[i] = bytes.Count;
        }
        var skip = model.StripLeadingSpace && bytes.Count > 0 && bytes[0] == (byte)' ' ? 1 : 0;
        var utf8 = bytes.ToArray().AsSpan(skip);

        // charsBefore[b]: chars of the characters whose first byte comes before byte b.
        var charsBefore = new int[utf8.Length + 1];
        var text = new StringBuilder(utf8.Length);
        var pos = 0;
        while (pos < utf8.Length)
        {
            // Invalid or cut-off sequences become U+FFFD per maximal bad subsequence, as Encoding.UTF8 and HF do.
            Rune.DecodeFromUtf8(utf8[pos..], out var rune, out var consumed);
            text.Append(rune.ToString());
            for (var b = pos + 1; b <= pos + consumed; b++) charsBefore[b] = text.Length;
            pos += consumed;
        }

        var starts = new int[ids.Length];
        var ends = new int[ids.Length];
        for (var i = 0; i < ids.Length; i++)
        {
            starts[i] = i == 0 ? 0 : ends[i - 1];
            ends[i] = charsBefore[Math.Max(0, byteEnds[i] - skip)];
        }
        return new DecodedText(text.ToString(), starts, ends);
    }
}
