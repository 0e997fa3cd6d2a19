using System.Text;

namespace Rollout.Engine.Prompts;

/// <summary>Reads text quoted in a Jinja template (Python string-literal escapes), so defaults hard-coded there render as Jinja renders them.</summary>
internal static class JinjaLiteral
{
    public static string Unescape(string quoted)
    {
        var sb = new StringBuilder(quoted.Length);
        for (var i = 0; i < quoted.Length; i++)
        {
            if (quoted[i] != '\\' || i + 1 == quoted.Length) { sb.Append(quoted[i]); continue; }
            var next = quoted[++i];
            sb.Append(next switch
            {
                'n' => "\n",
                't' => "\t",
                'r' => "\r",
                '\\' or '\'' or '"' => next.ToString(),
                _ => "\\" + next, // Python keeps unknown escapes as written
            });
        }
        return sb.ToString();
    }
}
