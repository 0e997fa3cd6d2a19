using Rollout.Engine.Prompts;
using Rollout.Models.Tasks;
using Rollout.Models.Tasks.Arith;
using Rollout.Tests;

namespace Rollout.Models.Tests.Tasks;

public class PromptJsonlWriterTests
{
    [Fact]
    public void EngineReadsBackIdsPromptsAndAnswers()
    {
        var dir = RepoPaths.NewTempDir("arith-prompts");
        try
        {
            var problems = new ArithGenerator(seed: 8).Generate(DataSplit.Test, 7).Select(p => p.ToTaskProblem()).ToList();
            var path = Path.Combine(dir, "test.jsonl");
            PromptJsonlWriter.Write(path, problems);
            var read = PromptFile.Read(path);
            Assert.Equal(problems.Select(p => (p.Id, p.Prompt, p.Answer)), read.Select(p => (p.Id, p.Text!, p.Answer!)));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
