using Rollout.Engine.Episodes;
using Rollout.Engine.L2T;
using Rollout.Engine.Model;
using Rollout.Engine.Probes;
using Rollout.Engine.Prompts;
using Rollout.Engine.Sampling;
using Rollout.Engine.Tokenization;

namespace Rollout.Engine.Generation;

/// <summary>One rollout while it is being generated: its tokens, per-token statistics and why it ended.</summary>
/// <param name="probe">What the answer probes feed when this rollout will be probed (L2T with an answer), else null;
/// its length is kept free in the context window (when the prompt leaves room for it).</param>
/// <param name="request">The index of the request this sample belongs to in its generation call.</param>
internal sealed class SequenceState(EncodedPrompt prompt, int sample, long[] promptMask, GenerationOptions options, ProbeTokens? probe, int request = 0)
{
    private readonly List<float> _u = [];
    private readonly List<float> _v = [];
    private readonly int _probeReserve = probe?.Length ?? 0;
    private (DecodedText Text, Segmentation Episodes)? _decoded;
    private readonly StopStrings? _stopStrings = options.StopStrings.Count > 0 ? new StopStrings(options.StopStrings) : null;
    private readonly List<float> _logprobs = [];
    private readonly List<float> _rawLogprobs = [];
    private readonly List<float> _entropies = [];
    private readonly List<TokenAlternative[]> _topLogprobs = [];
    /// <summary>Where the text is cut when a stop string ended the rollout (the stop string is left out, as vLLM does).</summary>
    private int? _textEnd;
    /// <summary>Text length already searched for stop strings, so each step only looks at what is new.</summary>
    private int _stopCheckedLength;

    public EncodedPrompt Prompt { get; } = prompt;
    public int Sample { get; } = sample;
    public int Request { get; } = request;
    /// <summary>The settings of this row's request.</summary>
    public GenerationOptions Options { get; } = options;
    /// <summary>This row's prompt as its cache holds it: a slice of a left-padded prefill's mask (decode steps append
    /// ones after it), or all ones where the cache holds the prompt's tokens only.</summary>
    public long[] PromptMask { get; } = promptMask;
    public SampleRng Rng { get; } = new(options.Seed, prompt.Id, sample);
    public List<int> Tokens { get; } = [];
    /// <summary>Positions of this rollout in its cache: the prompt and every completion token but the last, not yet fed.</summary>
    public int Cached => Prompt.TokenIds.Length + Tokens.Count - 1;
    public ProbeTokens? Probe { get; private set; } = probe;
    /// <summary>This rollout's cache row when it finished, kept for its answer probes.</summary>
    public KvCache? Retained { get; set; }
    /// <summary>J_0..J_K when the probes ran while the rollout still held its slot (see <see cref="RowProbes"/>).</summary>
    public double[]? ProbeValues { get; set; }
    public FinishReason? Finish { get; private set; }
    /// <summary>What the sampler applies for this rollout's penalties and minimum length; null when none apply.</summary>
    public TokenHistory? History { get; init; }
    /// <summary>Left the batch unfinished because its request was cancelled: no probe, no result.</summary>
    public bool Dropped { get; private set; }
    public bool Finished => Finish != null || Dropped;

    public void Drop() => Dropped = true;

    public void Append(TokenChoice choice, IReadOnlySet<int> eosTokenIds, int contextWindow, TextTokenizer tokenizer)
    {
        Tokens.Add(choice.TokenId);
        _logprobs.Add(choice.Logprob);
        _rawLogprobs.Add(choice.RawLogprob);
        _entropies.Add(choice.Entropy);
        if (choice.TopLogprobs is { } alternatives) _topLogprobs.Add(alternatives);
        History?.Append(choice.TokenId);

        if (!Options.IgnoreEos && eosTokenIds.Contains(choice.TokenId)) Finish = FinishReason.Eos;
        else if (Options.StopTokenIds.Contains(choice.TokenId)) Finish = FinishReason.Stop;
        else if (_stopStrings != null && FindStopString(tokenizer) is int stopAt)
        {
            Finish = FinishReason.Stop;
            _textEnd = stopAt;
        }
        else if (Tokens.Count >= Options.MaxNewTokens || Prompt.TokenIds.Length + Tokens.Count + _probeReserve >= contextWindow)
            Finish = FinishReason.Length;
        // A prompt too close to the window for a first token and the probe after it: the rollout is not probed (its
        // probes are reported as not computable) rather than probed past the positions the model has.
        if (Finished && Prompt.TokenIds.Length + Tokens.Count + _probeReserve > contextWindow) Probe = null;
    }

    public void AddFeatures(ReadOnlySpan<float> u, ReadOnlySpan<float> v)
    {
        _u.AddRange(u);
        _v.AddRange(v);
    }

    /// <summary>Probe contexts: before the first episode, then after each episode's last token (spec §3).</summary>
    public ProbeJob ProbeJob(TextTokenizer tokenizer, EpisodeSpec episodes)
    {
        var spans = Decode(tokenizer, episodes).Episodes.Episodes;
        int[] contexts = [spans[0].Start, .. spans.Select(e => e.End)];
        return new ProbeJob(Retained, Retained?.Length ?? Cached, PromptMask, Prompt.TokenIds, Tokens.ToArray(), _logprobs.ToArray(), contexts, Probe!);
    }

    /// <summary>The completion's text with per-token offsets, and its episodes; computed once (probes and the result both need them).</summary>
    private (DecodedText Text, Segmentation Episodes) Decode(TextTokenizer tokenizer, EpisodeSpec episodes)
    {
        if (_decoded is { } done) return done;
        var decoded = tokenizer.DecodeWithOffsets(Tokens.ToArray());
        var value = (decoded, EpisodeSegmenter.Segment(episodes, decoded.Text, decoded.TokenStarts, decoded.TokenEnds));
        _decoded = value;
        return value;
    }

    private int? FindStopString(TextTokenizer tokenizer)
    {
        var text = tokenizer.Decode(Tokens.ToArray());
        bool found = _stopStrings!.TryFind(text, _stopCheckedLength, out int start, out _);
        _stopCheckedLength = text.Length;
        return found ? start : null;
    }

    public RolloutResult ToResult(TextTokenizer tokenizer, EpisodeSpec episodes)
    {
        var ids = Tokens.ToArray();
        // Episodes are found in the text of every completion token; the reported text drops the EOS and any stop string.
        var (decoded, segmentation) = Decode(tokenizer, episodes);
        var text = Finish == FinishReason.Eos ? decoded.Text[..decoded.TokenStarts[^1]] : decoded.Text;
        if (_textEnd is int end) text = text[..Math.Min(end, text.Length)];
        return new RolloutResult(Prompt.Id, Sample, Prompt.TokenIds, ids, text, Finish ?? FinishReason.Length,
            _logprobs.ToArray(), _rawLogprobs.ToArray(), _entropies.ToArray(), segmentation.Episodes, segmentation.FormatOk,
            _u.Count == 0 ? null : new StepFeatures(_u.Count / ids.Length, _u.ToArray(), _v.ToArray()), Answer: Prompt.Answer)
        { TopLogprobs = _topLogprobs.Count == 0 ? null : _topLogprobs.ToArray() };
    }
}
