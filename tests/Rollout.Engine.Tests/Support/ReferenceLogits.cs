using Rollout.Models.Reference;
using Rollout.Models.Weights;

namespace Rollout.Engine.Tests.Support;

/// <summary>Float64 log-softmax statistics of the reference forward, for checking the engine's per-token numbers.</summary>
internal static class ReferenceLogits
{
    /// <summary>Logits (float64) that predict completion token t, for t in 0..completion.Length-1.</summary>
    public static double[][] ForCompletion(ModelWeights weights, int[] prompt, int[] completion)
    {
        var all = ReferenceForward.Run(weights, prompt.Concat(completion).ToArray()).Logits;
        return Enumerable.Range(0, completion.Length).Select(t => all[prompt.Length - 1 + t]).ToArray();
    }

    public static double LogSoftmax(double[] logits, int token, double temperature)
    {
        double max = logits.Max() / temperature;
        double sum = logits.Sum(l => Math.Exp(l / temperature - max));
        return logits[token] / temperature - max - Math.Log(sum);
    }

    public static double Entropy(double[] logits, double temperature)
    {
        double max = logits.Max() / temperature;
        var p = logits.Select(l => Math.Exp(l / temperature - max)).ToArray();
        double z = p.Sum();
        return -p.Sum(x => x / z * Math.Log(x / z));
    }

    public static int Argmax(double[] logits) => Array.IndexOf(logits, logits.Max());
}
