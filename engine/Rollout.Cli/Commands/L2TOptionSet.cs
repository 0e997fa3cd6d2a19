using System.CommandLine;
using Rollout.Engine;
using Rollout.Engine.Generation;
using Rollout.Engine.L2T;
using Rollout.Kernels;

namespace Rollout.Cli.Commands;

/// <summary>The L2T scoring options (L2T-SPEC §7 defaults).</summary>
internal sealed class L2TOptionSet
{
    private static readonly L2TOptions Defaults = new();
    private readonly Option<bool> _l2t = new("--l2t") { Description = "Score every rollout for L2T: answer probes, episode rewards, token advantages" };
    private readonly Option<string> _cue = new("--answer-cue") { Description = "Text after which the answer is probed", DefaultValueFactory = _ => new L2TGeneration().AnswerCue };
    private readonly Option<double> _alpha = new("--alpha") { Description = "Weight of the progress reward", DefaultValueFactory = _ => Defaults.Alpha };
    private readonly Option<double> _beta = new("--beta") { Description = "Weight of the compression penalty", DefaultValueFactory = _ => Defaults.Beta };
    private readonly Option<int> _rank = new("--rank") { Description = "Rank of the head's SVD proxy", DefaultValueFactory = _ => Defaults.Rank };
    private readonly Option<string> _estimator = new("--estimator") { Description = "Compression penalty: diag | rank1", DefaultValueFactory = _ => "diag" };
    private readonly Option<string> _scope = new("--scope") { Description = "Fisher scope: group | batch", DefaultValueFactory = _ => "group" };
    private readonly Option<string> _advantage = new("--advantage") { Description = "Advantage: l2t | l2t-rtg | grpo | length", DefaultValueFactory = _ => "l2t" };

    /// <param name="switchable">Whether the command has the --l2t switch; without it, L2T is always on.</param>
    public void AddTo(Command command, bool switchable = true)
    {
        if (switchable) command.Options.Add(_l2t);
        foreach (var option in new Option[] { _cue, _alpha, _beta, _rank, _estimator, _scope, _advantage })
            command.Options.Add(option);
    }

    /// <summary>
    /// The settings, or null without --l2t (then the other L2T options are refused rather than ignored). An option
    /// not given takes its value from <paramref name="defaults"/> when there are some (a file's recorded settings). The settings are checked.
    /// </summary>
    public L2TGeneration? Read(ParseResult parse, L2TGeneration? defaults = null)
    {
        if (parse.CommandResult.Command.Options.Contains(_l2t) && !parse.GetValue(_l2t))
        {
            var stray = new Option[] { _cue, _alpha, _beta, _rank, _estimator, _scope, _advantage }.FirstOrDefault(o => parse.GetResult(o) is { Implicit: false });
            if (stray != null) throw new InputException($"{stray.Name} needs --l2t");
            return null;
        }
        // A recorded value stands unless the option is given.
        var d = defaults?.Options;
        bool Keep(Option option) => d != null && parse.GetResult(option) is null or { Implicit: true };
        var settings = new L2TGeneration
        {
            AnswerCue = Keep(_cue) ? defaults!.AnswerCue : parse.GetValue(_cue)!,
            Options = Defaults with
            {
                Alpha = Keep(_alpha) ? d!.Alpha : parse.GetValue(_alpha),
                Beta = Keep(_beta) ? d!.Beta : parse.GetValue(_beta),
                Rank = Keep(_rank) ? d!.Rank : parse.GetValue(_rank),
                Estimator = Keep(_estimator) ? d!.Estimator : Parse<PenaltyEstimator>(_estimator, parse),
                Scope = Keep(_scope) ? d!.Scope : Parse<FisherScope>(_scope, parse),
                Baseline = Keep(_advantage) ? d!.Baseline : AdvantageNames.Parse(_advantage.Name, parse.GetValue(_advantage)!),
            },
        };
        settings.Validate();
        return settings;
    }

    /// <summary>How often the clip at ±a_max bound, for a command's summary line.</summary>
    public static string ClipSummary(long clipped, long tokens, double clip) =>
        $"advantages clipped at ±{clip}: {(double)clipped / Math.Max(1, tokens):P2} of tokens";

    private static T Parse<T>(Option<string> option, ParseResult parse) where T : struct, Enum =>
        Enum.TryParse<T>(parse.GetValue(option), ignoreCase: true, out var value) && Enum.IsDefined(value)
            ? value
            : throw new InputException($"{option.Name}: '{parse.GetValue(option)}' is not one of {string.Join(", ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}");
}
