using System.Text.Json;

namespace Rollout.Models.Tasks;

/// <summary>Writes problems as the engine's prompt JSONL: one <c>{"id","prompt","answer","difficulty"}</c> object a line.</summary>
public static class PromptJsonlWriter
{
    public static void Write(string path, IEnumerable<TaskProblem> problems)
    {
        using var writer = new StreamWriter(path);
        foreach (var p in problems)
            writer.WriteLine(JsonSerializer.Serialize(new { id = p.Id, prompt = p.Prompt, answer = p.Answer, difficulty = p.Difficulty }));
    }
}
