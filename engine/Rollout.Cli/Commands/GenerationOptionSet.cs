using System.CommandLine;
using Rollout.Engine;
using Rollout.Engine.Episodes;
using Rollout.Engine.Generation;
using Rollout.Engine.Model;
using Rollout.Engine.Sampling;

namespace Rollout.Cli.Commands;

/// <summary>The sampling options shared by the verbs that generate.</summary>
internal sealed class GenerationOptionSet
{
    private readonly Option<int> _n = new("--n") { Description = "Samples per prompt", DefaultValueFactory = _ => 1 };
    private readonly Option<int> _maxNewTokens = new("--max-new-tokens") { Description = "Token budget per rollout", DefaultValueFactory = _ => 256 };
    private readonly Option<bool> _greedy = new("--greedy") { Description = "Argmax decoding (no sampling options allowed with it)" };
    private readonly Option<double?> _temperature = new("--temperature") { Description = "Softmax temperature (default 1)" };
    private readonly Option<int?> _topK = new("--top-k") { Description = "Keep the k most likely tokens (0 = off)" };
    private readonly Option<double?> _topP = new("--top-p") { Description = "Keep the smallest set with probability ≥ p (1 = off)" };
    private readonly Option<double?> _minP = new("--min-p") { Description = "Keep tokens with p ≥ min_p · p_max (0 = off)" };
    private readonly Option<double> _repetitionPenalty = new("--repetition-penalty") { Description = "Divide (logit > 0) or multiply the logits of tokens in the prompt or output so far (HF/vLLM; 1 = off)", DefaultValueFactory = _ => 1.0 };
    private readonly Option<double> _presencePenalty = new("--presence-penalty") { Description = "Subtract from the logits of tokens in the output so far (vLLM; 0 = off)", DefaultValueFactory = _ => 0.0 };
    private readonly Option<double> _frequencyPenalty = new("--frequency-penalty") { Description = "Subtract, times the token's count in the output so far (vLLM; 0 = off)", DefaultValueFactory = _ => 0.0 };
    private readonly Option<int> _minNewTokens = new("--min-new-tokens") { Description = "EOS and stop token ids are masked until a rollout has this many tokens (HF's min_new_tokens)", DefaultValueFactory = _ => 0 };
    private readonly Option<bool> _ignoreEos = new("--ignore-eos") { Description = "Keep going past EOS until the token budget (vLLM's ignore_eos)" };
    private readonly Option<int> _logprobs = new("--logprobs") { Description = "Record each token's K most likely alternatives as top_logprobs (vLLM's logprobs; 0 = off, at most 20)", DefaultValueFactory = _ => 0 };
    private readonly Option<ulong> _seed = new("--seed") { Description = "Seed; with prompt id and sample index it fixes each rollout", DefaultValueFactory = _ => 0UL };
    private readonly Option<string[]> _stop = new("--stop") { Description = "Stop string (repeatable); left out of the text" };
    private readonly Option<int[]> _stopTokenIds = new("--stop-token-id") { Description = "Stop token id (repeatable)" };
    private readonly Option<string> _episodes = new("--episodes") { Description = "Episode segmentation: tags | think | regex:RE", DefaultValueFactory = _ => "tags" };
    private readonly Option<int> _batchSize = new("--batch-size") { Description = "Sequences decoded together", DefaultValueFactory = _ => 16 };
    private readonly Option<string> _device = new("--device") { Description = "Execution provider: cpu | cuda", DefaultValueFactory = _ => "cpu" };
    private readonly Option<int> _lanes = LanesOption();

    /// <summary><c>--lanes</c>, as generate, serve and worker take it (<c>RolloutEngine.Open</c>'s lanes).</summary>
    public static Option<int> LanesOption() => new("--lanes") { Description = "CPU decode lanes: forward passes run at once, each on the cores / lanes (2 can nearly double a small model's throughput on a few cores; fused graphs)", DefaultValueFactory = _ => 1 };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _n, _maxNewTokens, _greedy, _temperature, _topK, _topP, _minP, _repetitionPenalty, _presencePenalty, _frequencyPenalty,
                     _minNewTokens, _ignoreEos, _logprobs, _seed, _stop, _stopTokenIds, _episodes, _batchSize, _device, _lanes })
            command.Options.Add(option);
    }

    public GenerationOptions Read(ParseResult parse)
    {
        bool greedy = parse.GetValue(_greedy);
        double? temperature = parse.GetValue(_temperature);
        int? topK = parse.GetValue(_topK);
        double? topP = parse.GetValue(_topP);
        double? minP = parse.GetValue(_minP);
        if (greedy && (temperature != null || topK != null || topP != null || minP != null))
            throw new InputException("--greedy cannot be combined with --temperature, --top-k, --top-p or --min-p");
        var options = new GenerationOptions
        {
            SamplesPerPrompt = parse.GetValue(_n),
            MaxNewTokens = parse.GetValue(_maxNewTokens),
            MinNewTokens = parse.GetValue(_minNewTokens),
            Sampling = new SamplingParams
            {
                Greedy = greedy,
                Temperature = temperature ?? 1.0,
                TopK = topK ?? 0,
                TopP = topP ?? 1.0,
                MinP = minP ?? 0.0,
                RepetitionPenalty = parse.GetValue(_repetitionPenalty),
                PresencePenalty = parse.GetValue(_presencePenalty),
                FrequencyPenalty = parse.GetValue(_frequencyPenalty),
            },
            Seed = parse.GetValue(_seed),
            StopStrings = parse.GetValue(_stop) ?? [],
            StopTokenIds = parse.GetValue(_stopTokenIds) ?? [],
            IgnoreEos = parse.GetValue(_ignoreEos),
            TopLogprobs = parse.GetValue(_logprobs),
            Episodes = EpisodeSpec.Parse(parse.GetValue(_episodes)!),
            BatchSize = parse.GetValue(_batchSize),
        };
        options.Validate();
        return options;
    }

    public ExecutionDevice Device(ParseResult parse) => ParseDevice(parse.GetValue(_device)!);

    public int Lanes(ParseResult parse) => parse.GetValue(_lanes);

    /// <summary>The value of a <c>--device</c> option.</summary>
    public static ExecutionDevice ParseDevice(string device) => device switch
    {
        "cpu" => ExecutionDevice.Cpu,
        "cuda" => ExecutionDevice.Cuda,
        var other => throw new InputException($"--device: '{other}' is not a device (cpu, cuda)"),
    };
}
