using Rollout.Models.Weights;

namespace Rollout.Training.Updates;

internal static class PolicyFolder
{
    public static void Write(string sourceDir, string folder, Func<ModelWeights, ModelWeights> edit) => throw new NotImplementedException();
}
