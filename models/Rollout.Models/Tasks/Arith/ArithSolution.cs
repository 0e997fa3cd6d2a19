using System.Globalization;
using System.Text;

namespace Rollout.Models.Tasks.Arith;

/// <summary>
/// The reference completion: one operation per <c>&lt;episode_k&gt;</c> inside <c>&lt;think&gt;</c>, then
/// <c>#### answer</c>. Optional re-check episodes restate the running value without an operation; they
/// are the redundant episodes L2T's compression term should learn to drop.
/// </summary>
public static class ArithSolution
{
    public const string CheckPrefix = "check: ";

    /// <param name="checksAfter">Step indices (0-based) after which a re-check episode is written.</param>
    public static string Write(ArithProblem problem, IReadOnlyCollection<int>? checksAfter = null)
    {
        var sb = new StringBuilder("<think>");
        int episode = 0, value = problem.Start;
        void Episode(string body) { episode++; sb.Append($"<episode_{episode}>{body}</episode_{episode}>"); }
        for (int i = 0; i < problem.Steps.Count; i++)
        {
            var step = problem.Steps[i];
            int next = step.Apply(value);
            Episode(string.Create(CultureInfo.InvariantCulture, $"{value} {step.Symbol} {step.Operand} = {next}"));
            value = next;
            if (checksAfter?.Contains(i) == true) Episode(CheckPrefix + value.ToString(CultureInfo.InvariantCulture));
        }
        sb.Append("</think>\n#### ").Append(value.ToString(CultureInfo.InvariantCulture));
        return sb.ToString();
    }
}
