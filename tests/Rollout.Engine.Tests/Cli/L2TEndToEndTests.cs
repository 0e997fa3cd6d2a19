using System.Text.Json;
using Rollout.Engine.Tests.L2T;
using Rollout.Engine.Tests.Support;
using Rollout.Kernels;
using Rollout.Tests;

namespace Rollout.Engine.Tests.Cli;

/// <summary>
/// `generate --l2t --dump-features`: the rewards and advantages in the JSONL equal an independent float64
/// recomputation from what the run published (the dumped u, v; the JSONL's log-probs, episodes and probes).
/// </summary>
[Collection(EngineModelsCollection.Name)]
public sealed class L2TEndToEndTests(EngineModels models) : IDisposable
{
    private readonly string _dir = RepoPaths.NewTempDir("l2t-e2e");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("diag", "group", "l2t")]
    [InlineData("rank1", "batch", "grpo")]
    public void Jsonl_rewards_equal_a_recomputation_from_the_dumped_features_and_probes(string estimator, string scope, string advantage)
    {
        var prompts = Path.Combine(_dir, "prompts.jsonl");
        File.WriteAllLines(prompts, ["""{"id": "a", "prompt": "Compute 12 + 7.", "answer": "19"}""", """{"id": "b", "prompt": "Compute 3 - 1 + 5.", "answer": "7"}"""]);
        var outPath = Path.Combine(_dir, "out.jsonl");
        var dump = Path.Combine(_dir, "features");
        var output = new StringWriter();
        var error = new StringWriter();
        int code = Rollout.Cli.Cli.Run(["generate", "--model", models.Dir("llama"), "--prompts", prompts, "--out", outPath, "--n", "4",
            "--max-new-tokens", "10", "--seed", "2", "--l2t", "--rank", "4", "--answer-cue", "\n#### ",
            "--estimator", estimator, "--scope", scope, "--advantage", advantage, "--dump-features", dump], output, error);
        Assert.True(code == 0, error.ToString());

        var lines = File.ReadAllLines(outPath).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var u = NpyFile.Floats(Path.Combine(dump, "u.npy"));
        var v = NpyFile.Floats(Path.Combine(dump, "v.npy"));
        var offsets = NpyFile.Longs(Path.Combine(dump, "token_offsets.npy"));
        Assert.Equal(lines.Count + 1, offsets.Length);
        Assert.Equal(4 * offsets[^1], u.Length);

        var rollouts = lines.Select((l, i) =>
        {
            int from = (int)offsets[i] * 4, to = (int)offsets[i + 1] * 4;
            var episodes = l.GetProperty("episodes").EnumerateArray().Select(e => (e.GetProperty("start").GetInt32(), e.GetProperty("end").GetInt32())).ToList();
            int tokens = l.GetProperty("token_ids").GetArrayLength();
            // A random model does not write the answer, so r_out is 0 plus the format penalty when no episode parses.
            Assert.DoesNotContain("#### ", l.GetProperty("text").GetString());
            double outcome = l.GetProperty("format_ok").GetBoolean() ? 0 : new L2TOptions().FormatPenalty;
            return new L2TRecomputation.Rollout(u[from..to], v[from..to],
                l.GetProperty("logprobs").EnumerateArray().Select(x => x.GetSingle()).ToArray(),
                L2TRecomputation.CreditSpans(episodes, tokens),
                l.GetProperty("answer_probes").EnumerateArray().Select(x => x.GetDouble()).ToArray(),
                outcome);
        }).ToList();
        var options = new L2TOptions
        {
            Rank = 4,
            Estimator = estimator == "diag" ? PenaltyEstimator.Diag : PenaltyEstimator.Rank1,
            Scope = scope == "group" ? FisherScope.Group : FisherScope.Batch,
            Baseline = advantage == "l2t" ? AdvantageBaseline.L2T : AdvantageBaseline.Grpo,
        };
        var expected = L2TRecomputation.Score([rollouts[..4], rollouts[4..]], 4, options, tokenBudget: 10).SelectMany(g => g).ToList();

        for (int i = 0; i < lines.Count; i++)
        {
            var line = lines[i];
            Assert.Equal(rollouts[i].Outcome, line.GetProperty("outcome_reward").GetDouble(), 1e-9);
            var episodes = line.GetProperty("episodes").EnumerateArray().ToList();
            string[] fields = ["fit_gain", "penalty", "penalty_normalized", "process_reward", "reward"];
            foreach (var (name, pick) in fields.Zip(new Func<L2TRecomputation.Episode, double>[] { e => e.FitGain, e => e.Penalty, e => e.PenaltyNormalized, e => e.ProcessReward, e => e.Reward }))
                Agreement.Close(expected[i].Episodes.Select(pick).ToList(), episodes.Select(e => e.GetProperty(name).GetDouble()).ToList(), $"rollout {i} {name}");
            Agreement.Close(expected[i].TokenRewards, line.GetProperty("token_rewards").EnumerateArray().Select(x => x.GetDouble()).ToList(), $"rollout {i} token_rewards");
            Agreement.Close(expected[i].TokenAdvantages, line.GetProperty("advantages").EnumerateArray().Select(x => x.GetDouble()).ToList(), $"rollout {i} advantages");
        }
    }
}
