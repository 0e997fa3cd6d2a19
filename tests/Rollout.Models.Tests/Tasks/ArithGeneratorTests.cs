using System.Text.RegularExpressions;
using Rollout.Models.Tasks;
using Rollout.Models.Tasks.Arith;

namespace Rollout.Models.Tests.Tasks;

public class ArithGeneratorTests
{
    /// <summary>Evaluates "Compute a ± b ± ….": left to right from the prompt text alone, independent of the problem object.</summary>
    private static int EvaluatePrompt(string prompt)
    {
        var m = Regex.Match(prompt, @"^Compute (\d+)((?: [+-] \d+)+)\.$");
        Assert.True(m.Success, prompt);
        int value = int.Parse(m.Groups[1].Value);
        foreach (Match op in Regex.Matches(m.Groups[2].Value, @"([+-]) (\d+)"))
            value += (op.Groups[1].Value == "+" ? 1 : -1) * int.Parse(op.Groups[2].Value);
        return value;
    }

    [Fact]
    public void AnswersAreTheValueOfThePromptExpression()
    {
        foreach (var p in new ArithGenerator(seed: 11).Generate(DataSplit.Train, 500))
        {
            var task = p.ToTaskProblem();
            Assert.Equal(EvaluatePrompt(task.Prompt).ToString(), task.Answer);
            Assert.InRange(task.Difficulty, 2, 6);
            Assert.Equal(task.Difficulty, Regex.Matches(task.Prompt, " [+-] ").Count);
        }
    }

    [Fact]
    public void OperandsHaveOneOrTwoDigitsAndRunningValuesStayInRange()
    {
        foreach (var p in new ArithGenerator(seed: 12).Generate(DataSplit.Train, 500))
        {
            foreach (Match n in Regex.Matches(p.Prompt, @"\d+")) Assert.InRange(n.Value.Length, 1, 2);
            int value = p.Start;
            foreach (var s in p.Steps)
            {
                value += s.IsAddition ? s.Operand : -s.Operand;
                Assert.InRange(value, 0, 99);
            }
        }
    }

    [Fact]
    public void DifficultiesAreBalanced()
    {
        var counts = new ArithGenerator(seed: 3).Generate(DataSplit.Test, 100).GroupBy(p => p.Difficulty).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal([2, 3, 4, 5, 6], counts.Keys.Order());
        Assert.All(counts.Values, c => Assert.Equal(20, c));
    }

    [Fact]
    public void SameSeedSameProblemsOtherSeedOtherProblems()
    {
        var a = new ArithGenerator(5).Generate(DataSplit.Train, 50).Select(p => p.Prompt).ToList();
        var b = new ArithGenerator(5).Generate(DataSplit.Train, 50).Select(p => p.Prompt).ToList();
        var c = new ArithGenerator(6).Generate(DataSplit.Train, 50).Select(p => p.Prompt).ToList();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void TrainAndTestSetsShareNoProblemWhateverTheSeeds()
    {
        var test = new ArithGenerator(1).Generate(DataSplit.Test, 2000).Select(p => p.Prompt).ToHashSet();
        Assert.Equal(2000, test.Count);
        // 2-step chains come from a space of about a million, so a leaking split would show a few collisions here.
        var train = new ArithGenerator(2).Generate(DataSplit.Train, 20000).Select(p => p.Prompt);
        Assert.DoesNotContain(train, test.Contains);
    }

    [Fact]
    public void ReferenceSolutionWritesOneOperationPerEpisode()
    {
        var p = new ArithProblem(12, [new(true, 7), new(false, 5), new(true, 30)]);
        Assert.Equal("Compute 12 + 7 - 5 + 30.", p.Prompt);
        Assert.Equal(
            "<think><episode_1>12 + 7 = 19</episode_1><episode_2>19 - 5 = 14</episode_2><episode_3>14 + 30 = 44</episode_3></think>\n#### 44",
            ArithSolution.Write(p));
        Assert.Equal(
            "<think><episode_1>12 + 7 = 19</episode_1><episode_2>19 - 5 = 14</episode_2><episode_3>check: 14</episode_3>" +
            "<episode_4>14 + 30 = 44</episode_4></think>\n#### 44",
            ArithSolution.Write(p, [new(1, ArithSolution.CheckPrefix)]));
    }

    [Fact]
    public void SftDataHoldsTheRequestedShareOfRedundantEpisodes()
    {
        var examples = ArithSftData.Create(seed: 4, count: 4000, redundantShare: 0.3);
        double share = examples.Count(e => e.Completion.Contains(ArithSolution.CheckPrefix)) / (double)examples.Count;
        Assert.InRange(share, 0.27, 0.33);
        Assert.All(examples, e => Assert.EndsWith("#### " + e.Problem.Answer, e.Completion));
        Assert.DoesNotContain(ArithSftData.Create(seed: 4, count: 200, redundantShare: 0), e => e.Completion.Contains("check"));
    }
}
