using Rollout.Engine.Generation;
using Rollout.Engine.Output;
using Rollout.Tests;

namespace Rollout.Cluster.Tests.Support;

internal static class JsonlLines
{
    /// <summary>The JSONL lines generate writes for these rollouts: what a comparison of two runs compares.</summary>
    public static string[] Of(IEnumerable<RolloutResult> rollouts, GenerationOptions options)
    {
        var path = Path.Combine(RepoPaths.NewTempDir("cluster-lines"), "rollouts.jsonl");
        using (var writer = RolloutJsonlWriter.Create(path, options))
        {
            foreach (var rollout in rollouts) writer.Write(rollout);
            writer.Commit();
        }
        return File.ReadAllLines(path);
    }
}
