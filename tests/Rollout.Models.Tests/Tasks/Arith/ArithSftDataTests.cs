using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Rollout.Engine.Tokenization;
using Rollout.Models.Tasks;
using Rollout.Models.Tasks.Arith;
using Rollout.Tests;

namespace Rollout.Models.Tests.Tasks.Arith;

public class ArithSftDataTests
{
    /// <summary>
    /// The plain data of seed 1 as the code wrote it before styles existed (the shipped model's data): two
    /// examples verbatim and a digest of the first 2000 prompts and completions.
    /// </summary>
    [Fact]
    public void PlainStyleWritesTheSameDataAsBeforeForTheSameSeed()
    {
        var examples = ArithSftData.Create(seed: 1, count: 2000, redundantShare: 0.35);
        Assert.Equal("Compute 32 - 22 - 3 - 5 - 2.", examples[2].Problem.Prompt);
        Assert.Equal(
            "<think><episode_1>32 - 22 = 10</episode_1><episode_2>10 - 3 = 7</episode_2><episode_3>7 - 5 = 2</episode_3>" +
            "<episode_4>check: 2</episode_4><episode_5>2 - 2 = 0</episode_5></think>\n#### 0",
            examples[2].Completion);
        Assert.Equal(
            "<think><episode_1>10 + 34 = 44</episode_1><episode_2>44 - 8 = 36</episode_2><episode_3>36 - 12 = 24</episode_3>" +
            "<episode_4>24 - 22 = 2</episode_4><episode_5>2 - 2 = 0</episode_5></think>\n#### 0",
            examples[3].Completion);
        var all = string.Join("\n\n", examples.Select(e => e.Problem.Prompt + "\n" + e.Completion));
        Assert.Equal("8CA291BF01DE66FFA45C1209A2678FB7725ABED2FEF9DD1FF645260C34D4917D",
            System.Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(all))));
    }

    [Fact]
    public void VerboseSolutionsRestateOneToThreeTimesInVariedWordingAndPlaces()
    {
        var examples = ArithSftData.Create(seed: 5, count: 4000, redundantShare: 0.9, SolutionStyle.Verbose);
        // Restatements are the episodes without "=": every operation episode writes one, no restatement does.
        var counts = examples.Select(e => Episodes(e.Completion).Count(b => !b.Contains('='))).ToList();
        Assert.InRange(counts.Count(c => c > 0) / (double)counts.Count, 0.87, 0.93);
        Assert.Equal([0, 1, 2, 3], counts.Distinct().Order());
        Assert.All(ArithSolution.RestatementPrefixes, prefix => Assert.Contains(examples, e => e.Completion.Contains('>' + prefix)));
        // Before the first operation and after the last one, not only in between.
        Assert.Contains(examples, e => !Episodes(e.Completion)[0].Contains('='));
        Assert.Contains(examples, e => !Episodes(e.Completion)[^1].Contains('='));
    }

    /// <summary>Dropping the restatements leaves a solution that reaches the answer: what a compressing policy may learn.</summary>
    [Fact]
    public void VerboseSolutionsWithoutTheirRestatementsAreThePlainSolutions()
    {
        // The same seed draws the same problems whatever the style and share.
        var plain = ArithSftData.Create(seed: 6, count: 300, redundantShare: 0);
        var verbose = ArithSftData.Create(seed: 6, count: 300, redundantShare: 1, SolutionStyle.Verbose);
        for (int i = 0; i < verbose.Count; i++)
        {
            Assert.Equal(plain[i].Problem, verbose[i].Problem);
            Assert.Equal(Episodes(plain[i].Completion), Episodes(verbose[i].Completion).Where(b => b.Contains('=')));
            Assert.EndsWith("#### " + verbose[i].Problem.Answer, verbose[i].Completion);
        }
    }

    /// <summary>
    /// The share of completion tokens (end-of-text included, as the engine counts them) inside restatement
    /// episodes, counted by tokenizing each episode alone with the shipped model's tokenizer (the trainer's
    /// tokenizer does not depend on the data): enough waste for compression to show.
    /// </summary>
    [Fact]
    public void VerboseDataSpendsAboutThirtySevenPercentOfItsTokensOnRestatements()
    {
        var tokenizer = TextTokenizer.Load(Path.Combine(RepoPaths.Root, "models", "arith-qwen2"));
        long all = 0, redundant = 0;
        foreach (var e in ArithSftData.Create(seed: 7, count: 3000, redundantShare: 0.9, SolutionStyle.Verbose))
        {
            all += tokenizer.Encode(e.Completion, addSpecialTokens: false).Count + 1;
            foreach (Match m in Regex.Matches(e.Completion, @"<episode_\d+>[^=<]*</episode_\d+>"))
                redundant += tokenizer.Encode(m.Value, addSpecialTokens: false).Count;
        }
        Assert.InRange(redundant / (double)all, 0.34, 0.41);
    }

    /// <summary>Written by hand: restatements follow their step's operation, in the order given, and −1 restates the start.</summary>
    [Fact]
    public void RestatementsSitAfterTheirStepAndRepeatItsValue()
    {
        var p = new ArithProblem(12, [new(true, 7), new(false, 5)]);
        Assert.Equal(
            "<think><episode_1>so far: 12</episode_1><episode_2>12 + 7 = 19</episode_2><episode_3>19 - 5 = 14</episode_3>" +
            "<episode_4>check: 14</episode_4><episode_5>restate: the value is 14</episode_5></think>\n#### 14",
            ArithSolution.Write(p, [new(1, "check: "), new(-1, "so far: "), new(1, "restate: the value is ")]));
    }

    private static List<string> Episodes(string completion) =>
        Regex.Matches(completion, @"<episode_(\d+)>(.*?)</episode_\1>").Select(m => m.Groups[2].Value).ToList();
}
