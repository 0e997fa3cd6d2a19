using System.Globalization;
using System.Text;

namespace Rollout.Models.Tasks.Arith;

/// <summary>A chain such as <c>12 + 7 - 5 + 30</c>: a start value and 2–6 steps. Difficulty is the number of steps.</summary>
public sealed record ArithProblem(int Start, IReadOnlyList<ArithStep> Steps)
{
    public int Difficulty => Steps.Count;

    /// <summary>The value after each step; the last one is the answer.</summary>
    public IReadOnlyList<int> RunningValues
    {
        get
        {
            var values = new int[Steps.Count];
            int v = Start;
            for (int i = 0; i < Steps.Count; i++) values[i] = v = Steps[i].Apply(v);
            return values;
        }
    }

    public int Answer => RunningValues[^1];

    /// <summary>The expression as written in the prompt, e.g. <c>12 + 7 - 5 + 30</c>.</summary>
    public string Expression
    {
        get
        {
            var sb = new StringBuilder(Start.ToString(CultureInfo.InvariantCulture));
            foreach (var s in Steps) sb.Append(' ').Append(s.Symbol).Append(' ').Append(s.Operand.ToString(CultureInfo.InvariantCulture));
            return sb.ToString();
        }
    }

    /// <summary>Problem identity: two problems with the same expression are the same problem whatever their ids.</summary>
    public ulong IdentityHash
    {
        get
        {
            // FNV-1a 64: stable across processes and runtimes, unlike string.GetHashCode.
            ulong h = 14695981039346656037UL;
            foreach (char c in Expression) { h ^= c; h *= 1099511628211UL; }
            return h;
        }
    }

    public string Id => $"arith-{Difficulty}-{IdentityHash:x16}";

    public string Prompt => $"Compute {Expression}.";

    public TaskProblem ToTaskProblem() =>
        new(Id, Prompt, Answer.ToString(CultureInfo.InvariantCulture), Difficulty);
}
