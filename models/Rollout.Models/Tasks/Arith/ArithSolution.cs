using System.Globalization;
using System.Text;

namespace Rollout.Models.Tasks.Arith;

/// <summary>
/// The reference completion: one operation per <c>&lt;episode_k&gt;</c> inside <c>&lt;think&gt;</c>, then
/// <c>#### answer</c>. Optional restatement episodes repeat a running value without an operation; they
/// are the redundant episodes L2T's compression term should learn to drop.
/// </summary>
public static class ArithSolution
{
    public const string CheckPrefix = "check: ";

    /// <summary>
    /// The wordings of restatements, <see cref="CheckPrefix"/> first. None holds a digit, so a restatement never
    /// reads as an operation.
    /// </summary>
    public static readonly IReadOnlyList<string> RestatementPrefixes =
        [CheckPrefix, "so far: ", "restate: the value is ", "the running value is still ", "let me check again, we have "];

    /// <param name="restatements">
    /// Redundant episodes to write, each after the operation episode of its step (before the first one for −1);
    /// several after the same step come in the order given.
    /// </param>
    public static string Write(ArithProblem problem, IReadOnlyList<ArithRestatement>? restatements = null)
    {
        var sb = new StringBuilder("<think>");
        int episode = 0, value = problem.Start;
        void Episode(string body) { episode++; sb.Append($"<episode_{episode}>{body}</episode_{episode}>"); }
        void Restate(int afterStep)
        {
            foreach (var r in restatements ?? [])
                if (r.AfterStep == afterStep) Episode(r.Prefix + value.ToString(CultureInfo.InvariantCulture));
        }
        Restate(-1);
        for (int i = 0; i < problem.Steps.Count; i++)
        {
            var step = problem.Steps[i];
            int next = step.Apply(value);
            Episode(string.Create(CultureInfo.InvariantCulture, $"{value} {step.Symbol} {step.Operand} = {next}"));
            value = next;
            Restate(i);
        }
        sb.Append("</think>\n#### ").Append(value.ToString(CultureInfo.InvariantCulture));
        return sb.ToString();
    }
}
