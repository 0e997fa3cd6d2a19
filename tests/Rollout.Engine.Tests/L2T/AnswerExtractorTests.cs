using Rollout.Engine.L2T;

namespace Rollout.Engine.Tests.L2T;

public sealed class AnswerExtractorTests
{
    [Theory]
    [InlineData(AnswerFormat.Hash, "so 1,200 + 34\n#### 1,234", "1234", 1)]
    [InlineData(AnswerFormat.Hash, "#### 12\nwait, #### 13", "13", 1)]
    [InlineData(AnswerFormat.Boxed, @"thus \boxed{\frac{1}{2}}.", @"\frac{1}{2}", 1)]
    [InlineData(AnswerFormat.Boxed, @"\boxed{3.50}", "3.5", 1)]
    [InlineData(AnswerFormat.AnswerColon, "Answer: $42.", "42.0", 1)]
    [InlineData(AnswerFormat.AnswerColon, "answer: 41", "42", 0)]
    [InlineData(AnswerFormat.Any, "no answer stated", "42", 0)]
    [InlineData(AnswerFormat.Any, @"#### 7 but \boxed{8}", "8", 1)]
    [InlineData(AnswerFormat.Any, "The answer: Paris", "paris", 1)]
    public void Outcome_reward(AnswerFormat format, string completion, string reference, double expected) =>
        Assert.Equal(expected, new AnswerExtractor(format).Score(completion, reference));

    [Fact]
    public void A_regex_extractor_uses_its_first_group()
    {
        var extractor = new AnswerExtractor(AnswerFormat.Regex, @"RESULT=(\S+)");
        Assert.Equal("-3", extractor.Extract("RESULT=1 ... RESULT=-3"));
        Assert.Equal(1, extractor.Score("RESULT=-3.0", "-3"));
        Assert.Throws<ArgumentException>(() => new AnswerExtractor(AnswerFormat.Regex));
    }
}
