using System.Text.Json.Nodes;
using Rollout.Models.Tasks;
using Rollout.Models.Tasks.Evaluation;

namespace Rollout.Models.Tests.Tasks;

public class TaskEvaluatorTests
{
    private static readonly TaskProblem[] Problems =
    [
        new("a", "Compute 12 + 7.", "19", 2),
        new("b", "Compute 5 + 5 - 3.", "7", 3),
        new("c", "Compute 40 - 8.", "32", 2),
    ];

    private static Completion C(string text, int tokens, int redundantTokens = 0) => new(text, tokens, redundantTokens);

    /// <summary>
    /// Hand-scored: problem a: right, right (with a re-check), wrong → maj right;
    /// b: wrong, right, wrong with the same wrong answer twice → maj wrong;
    /// c: no answer, right (written 32.0), right → maj right. The two redundant episodes take 4 and 3 tokens.
    /// </summary>
    private static readonly IReadOnlyList<Completion>[] Completions =
    [
        [
            C("<think><episode_1>12 + 7 = 19</episode_1></think>\n#### 19", 10),
            C("<think><episode_1>12 + 7 = 19</episode_1><episode_2>check: 19</episode_2></think>\n#### 19", 14, 4),
            C("<think><episode_1>12 + 7 = 18</episode_1></think>\n#### 18", 10),
        ],
        [
            C("<think><episode_1>5 + 5 = 10</episode_1><episode_2>10 - 3 = 6</episode_2></think>\n#### 6", 20),
            C("<think><episode_1>5 + 5 = 10</episode_1><episode_2>10 - 3 = 7</episode_2></think>\n#### 7", 20),
            C("<think><episode_1>5 + 5 = 10</episode_1><episode_2>10</episode_2><episode_3>10 - 3 = 6</episode_3></think>\n#### 6", 26, 3),
        ],
        [
            C("<think><episode_1>40 - 8 = 32</episode_1></think>", 8),
            C("<think><episode_1>40 - 8 = 32</episode_1></think>\n#### 32.0", 11),
            C("#### 1 then #### 32", 6),
        ],
    ];

    [Fact]
    public void OverallMetricsMatchHandCount()
    {
        var r = TaskEvaluator.Evaluate(Problems, Completions);
        Assert.Equal(3, r.Problems);
        Assert.Equal(9, r.Completions);
        Assert.Equal(5 / 9.0, r.Accuracy, 12);
        Assert.Equal((2 / 3.0 + 1 / 3.0 + 2 / 3.0) / 3, r.PassAt1, 12);
        Assert.Equal(2 / 3.0, r.MajAtN, 12);
        Assert.Equal((10 + 14 + 10 + 20 + 20 + 26 + 8 + 11 + 6) / 9.0, r.MeanTokens, 12);
        // Episodes: 1, 2, 1, 2, 2, 3, 1, 1, 0 = 13, of which 2 redundant ("check: 19" and "10").
        Assert.Equal(13 / 9.0, r.MeanEpisodes, 12);
        Assert.Equal(2 / 13.0, r.RedundantShare, 12);
        Assert.Equal(2 / 9.0, r.WithRedundantShare, 12);
        Assert.Equal(7 / 125.0, r.RedundantTokenShare, 12);
    }

    [Fact]
    public void DifficultyBreakdownSplitsProblems()
    {
        var r = TaskEvaluator.Evaluate(Problems, Completions);
        Assert.Equal([2, 3], r.ByDifficulty.Keys.Order());
        Assert.Equal(4 / 6.0, r.ByDifficulty[2].Accuracy, 12);
        Assert.Equal(1.0, r.ByDifficulty[2].MajAtN, 12);
        Assert.Equal(1 / 3.0, r.ByDifficulty[3].Accuracy, 12);
        Assert.Equal(0.0, r.ByDifficulty[3].MajAtN, 12);
        // Difficulty 2 holds problems a and c: 59 tokens, 4 redundant; difficulty 3 holds b: 66 tokens, 3 redundant.
        Assert.Equal(4 / 59.0, r.ByDifficulty[2].RedundantTokenShare, 12);
        Assert.Equal(3 / 66.0, r.ByDifficulty[3].RedundantTokenShare, 12);
    }

    [Fact]
    public void ReportSerialisesWithTheAgreedKeys()
    {
        var json = JsonNode.Parse(TaskEvaluator.Evaluate(Problems, Completions).ToJson())!.AsObject();
        foreach (var key in new[] { "accuracy", "mean_tokens", "mean_episodes", "redundant_share", "redundant_token_share", "pass_at_1", "maj_at_n" })
            Assert.True(json.ContainsKey(key), key);
        Assert.Equal(1 / 3.0, json["by_difficulty"]!["3"]!["accuracy"]!.GetValue<double>(), 12);
    }

    [Fact]
    public void AnswerExtractionTakesTheLastMarker()
    {
        Assert.Equal(32m, FinalAnswer.Extract("#### 1 then #### 32"));
        Assert.Equal(-4m, FinalAnswer.Extract("x\n####-4"));
        Assert.Null(FinalAnswer.Extract("the answer is 4"));
    }
}
