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
    private readonly Option<ulong> _seed = new("--seed") { Description = "Seed; with prompt id and sample index it fixes each rollout", DefaultValueFactory = _ => 0UL };
    private readonly Option<string[]> _stop = new("--stop") { Description = "Stop string (repeatable); left out of the text" };
    private readonly Option<int[]> _stopTokenIds = new("--stop-token-id") { Description = "Stop token id (repeatable)" };
    private readonly Option<string> _episodes = new("--episodes") { Description = "Episode segmentation: tags | think | regex:RE", DefaultValueFactory = _ => "tags" };
    private readonly Option<int> _batchSize = new("--batch-size") { Description = "Sequences decoded together", DefaultValueFactory = _ => 16 };
    private readonly Option<string> _device = new("--device") { Description = "Execution provider: cpu | cuda", DefaultValueFactory = _ => "cpu" };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _n, _maxNewTokens, _greedy, _temperature, _topK, _topP, _minP, _seed, _stop, _stopTokenIds, _episodes, _batchSize, _device })
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
            Sampling = new SamplingParams
            {
                Greedy = greedy,
                Temperature = temperature ?? 1.0,
                TopK = topK ?? 0,
                TopP = topP ?? 1.0,
                MinP = minP ?? 0.0,
            },
            Seed = parse.GetValue(_seed),
            StopStrings = parse.GetValue(_stop) ?? [],
            StopTokenIds = parse.GetValue(_stopTokenIds) ?? [],
            Episodes = EpisodeSpec.Parse(parse.GetValue(_episodes)!),
            BatchSize = parse.GetValue(_batchSize),
        };
        options.Validate();
        return options;
    }

    public ExecutionDevice Device(ParseResult parse) => ParseDevice(parse.GetValue(_device)!);

    public static ExecutionDevice ParseDevice(string device) => device switch
    {
        "cpu" => ExecutionDevice.Cpu,
        "cuda" => ExecutionDevice.Cuda,
        var other => throw new InputException($"--device: '{other}' is not a device (cpu, cuda)"),
    };
}
